/**
 * Runs `work` with process.stdout.write captured (the gcp logger writes its JSON lines there, as Cloud Run's
 * logging agent reads them) and returns the lines written, parsed. stdout is restored even if `work` throws.
 */
export async function captureJsonLines(work: () => void | Promise<void>): Promise<Record<string, unknown>[]> {
  const chunks: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  });
  try {
    await work();
  } finally {
    spy.mockRestore();
  }
  return chunks
    .join('')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Fields Cloud Logging takes out of a structured line into the LogEntry itself; the rest is jsonPayload. */
const SPECIAL_FIELDS = [
  'severity',
  'timestamp',
  'time',
  'httpRequest',
  'labels',
  'logging.googleapis.com/insertId',
  'logging.googleapis.com/trace',
  'logging.googleapis.com/spanId',
  'logging.googleapis.com/trace_sampled',
  'logging.googleapis.com/labels',
  'logging.googleapis.com/operation',
  'logging.googleapis.com/sourceLocation',
];

/** The jsonPayload Cloud Logging makes of a structured log line. */
export function jsonPayloadOf(line: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(line).filter(([key]) => !SPECIAL_FIELDS.includes(key)));
}

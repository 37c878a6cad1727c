/** The LogEntry fields Cloud Logging reads from a structured log line to tie it to a trace. */
export const TRACE_FIELD = 'logging.googleapis.com/trace';
export const SPAN_FIELD = 'logging.googleapis.com/spanId';
export const TRACE_SAMPLED_FIELD = 'logging.googleapis.com/trace_sampled';

// W3C: version-traceid-parentid-flags; an all-zero trace or span id is invalid, and so is version ff.
const TRACEPARENT = /^\s*(?!ff)([\da-f]{2})-(?!0{32})([\da-f]{32})-(?!0{16})([\da-f]{16})-([\da-f]{2})(-.*)?\s*$/;
// Google's legacy header: TRACE_ID/SPAN_ID;o=OPTIONS, with a decimal span id.
const CLOUD_TRACE_CONTEXT = /^\s*([\da-f]{32})(?:\/(\d{1,20}))?(?:;o=(\d))?\s*$/i;

function decimalSpanToHex(span: string): string | undefined {
  const value = BigInt(span);
  // Span ids are 64-bit and never zero.
  if (value === 0n || value >= 1n << 64n) return undefined;
  return value.toString(16).padStart(16, '0');
}

/**
 * The trace fields for the log lines of one request, from its `traceparent` or `X-Cloud-Trace-Context` header
 * (Cloud Run sets both on every request, Cloud Tasks deliveries included). The trace is formatted
 * `projects/PROJECT/traces/TRACE_ID`, as Cloud Logging needs it to link a line to Cloud Trace. An absent or
 * malformed header gives no fields rather than a wrong trace.
 */
export function traceLogFields(params: {
  projectId: string;
  traceparent?: string;
  cloudTraceContext?: string;
}): Record<string, string | boolean> {
  const w3c = params.traceparent ? TRACEPARENT.exec(params.traceparent.toLowerCase()) : null;
  // Version 00 has exactly four parts; later versions may add more.
  if (w3c && !(w3c[1] === '00' && w3c[5])) {
    return {
      [TRACE_FIELD]: `projects/${params.projectId}/traces/${w3c[2]}`,
      [SPAN_FIELD]: w3c[3]!,
      [TRACE_SAMPLED_FIELD]: (parseInt(w3c[4]!, 16) & 1) === 1,
    };
  }
  const legacy = params.cloudTraceContext ? CLOUD_TRACE_CONTEXT.exec(params.cloudTraceContext) : null;
  if (legacy) {
    const fields: Record<string, string | boolean> = {
      [TRACE_FIELD]: `projects/${params.projectId}/traces/${legacy[1]!.toLowerCase()}`,
    };
    const span = legacy[2] ? decimalSpanToHex(legacy[2]) : undefined;
    if (span) fields[SPAN_FIELD] = span;
    if (legacy[3] !== undefined) fields[TRACE_SAMPLED_FIELD] = legacy[3] === '1';
    return fields;
  }
  return {};
}

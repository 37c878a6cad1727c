import type { Readable } from 'node:stream';
import { z } from 'zod';
import type { SandboxUsage } from '../../domain/costs/resource-usage';

/** The supervisor's line (python/manim_worker/sandbox/supervisor.py): written outside the sandbox, still checked. */
const sandboxUsageSchema = z.object({ cpuSeconds: z.number().nonnegative().finite(), peakMemoryBytes: z.number().int().nonnegative() });
const MAX_USAGE_LINE_BYTES = 1024;

/** The supervisor's one usage line, read to the end of its pipe; anything else is no report. */
export function readSandboxUsage(stream: Readable): Promise<SandboxUsage | undefined> {
  return new Promise((resolve) => {
    let text = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      text += chunk;
      if (text.length > MAX_USAGE_LINE_BYTES) stream.destroy();
    });
    const settle = () => {
      try {
        const parsed = sandboxUsageSchema.safeParse(JSON.parse(text));
        resolve(parsed.success ? parsed.data : undefined);
      } catch {
        resolve(undefined);
      }
    };
    stream.once('end', settle);
    stream.once('close', settle);
    stream.once('error', () => resolve(undefined));
  });
}

import fs from 'node:fs';
import path from 'node:path';
import type { OutputFormat } from '../../contracts/quality';
import type { SandboxUsage } from '../../domain/costs/resource-usage';
import type { WarmWorkerPool } from '../worker/warm-worker-pool';
import type { WorkerMedia } from '../worker/worker-process';

/** What the reader found, and what reading cost (its sandbox's CPU is the render's too). */
export type DescribedOutput = ({ ok: true; media: WorkerMedia } | { ok: false; message: string }) & { usage?: SandboxUsage };

/** Reading a first frame takes milliseconds; a file crafted to make the reader spin is stopped well before a render's limits. */
const READER_TIMEOUT_SECONDS = 60;

/**
 * Has a taken output read by a fresh sandboxed reader (python/manim_worker/describe.py), never by the service and
 * never by the worker that made it: its container and codec must be the format's and a first frame must decode.
 * The reader gets a copy in its own directory, so whatever a crafted file makes it do cannot touch the file the
 * service keeps. A file the reader cannot vouch for is refused.
 */
export async function describeOutput(params: { pool: Pick<WarmWorkerPool, 'takeReader'>; filePath: string; format: OutputFormat }): Promise<DescribedOutput> {
  const leased = params.pool.takeReader();
  try {
    const inputDir = path.join(leased.workDir, 'input');
    await fs.promises.mkdir(inputDir, { mode: 0o755 });
    const copy = path.join(inputDir, `output.${params.format}`);
    await fs.promises.copyFile(params.filePath, copy, fs.constants.COPYFILE_EXCL);
    await fs.promises.chmod(copy, 0o444);
    const outcome = await leased.worker.run({
      job: { mode: 'describe', quality: 'low', format: params.format, file: path.join(leased.jobDir, 'input', path.basename(copy)) },
      timeoutSeconds: READER_TIMEOUT_SECONDS,
    });
    const usage = await leased.worker.usage();
    const measured = usage && { usage };
    if (outcome.kind === 'result' && outcome.media) return { ok: true, media: outcome.media, ...measured };
    if (outcome.kind === 'error') return { ok: false, message: outcome.error.message, ...measured };
    return { ok: false, message: `the output could not be read (${outcome.kind})`, ...measured };
  } finally {
    await leased.release();
  }
}

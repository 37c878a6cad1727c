import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Joins movies with ffmpeg's concat demuxer, streams copied (no re-encode). Returns the wall time in ms. */
export async function concat(files: string[], output: string): Promise<number> {
  const list = `${output}.txt`;
  fs.writeFileSync(list, files.map((f) => `file '${path.resolve(f).replace(/'/g, "'\\''")}'`).join('\n') + '\n');
  const t0 = performance.now();
  await run('ffmpeg', ['-v', 'error', '-y', '-f', 'concat', '-safe', '0', '-i', list, '-c', 'copy', output]);
  return performance.now() - t0;
}

/** The MD5 of every decoded video frame, in order (`ffmpeg -f framemd5`), without timestamps. */
export async function frameHashes(file: string): Promise<string[]> {
  const { stdout } = await run('ffmpeg', ['-v', 'error', '-i', file, '-map', '0:v', '-f', 'framemd5', '-'], { maxBuffer: 64 * 1024 * 1024 });
  return stdout
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => line.split(',').at(-1)!.trim());
}

/** Whether two movies decode to the same frames, and how many each has. */
export async function sameFrames(a: string, b: string): Promise<{ identical: boolean; frames: [number, number] }> {
  const [ha, hb] = await Promise.all([frameHashes(a), frameHashes(b)]);
  return { identical: ha.length === hb.length && ha.every((h, i) => h === hb[i]), frames: [ha.length, hb.length] };
}

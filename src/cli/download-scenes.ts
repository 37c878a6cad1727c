import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import type { JobView, RenderClient } from '../client';

/** Downloads every finished scene of a job into `dir` as `<Scene>.<format>`; returns the paths by scene. */
export async function downloadScenes(params: { client: RenderClient; job: JobView; dir: string; signal?: AbortSignal }): Promise<Record<string, string>> {
  await fs.promises.mkdir(params.dir, { recursive: true });
  const files: Record<string, string> = {};
  for (const scene of params.job.scenes) {
    if (!scene.output) continue;
    const file = path.resolve(params.dir, `${scene.name}.${params.job.format}`);
    const res = await params.client.download(params.job.id, scene.name, { signal: params.signal });
    if (!res.body) throw new Error(`the service sent no file for ${scene.name}`);
    await pipeline(Readable.fromWeb(res.body as NodeReadableStream<Uint8Array>), fs.createWriteStream(file), { signal: params.signal });
    files[scene.name] = file;
  }
  return files;
}

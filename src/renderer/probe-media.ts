import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { z } from 'zod';

const run = promisify(execFile);

const probeSchema = z.object({
  streams: z.array(z.object({ codec_type: z.string().optional(), codec_name: z.string().optional(), width: z.number().optional(), height: z.number().optional() })),
  format: z.object({ duration: z.string().optional(), format_name: z.string().optional() }),
});

export interface MediaInfo {
  codec: string;
  width: number;
  height: number;
  durationSeconds: number | null;
}

/** Reads a rendered file's codec, size and duration with ffprobe; fails if it holds no video or image stream. */
export async function probeMedia(filePath: string): Promise<MediaInfo> {
  const { stdout } = await run(
    'ffprobe',
    ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', filePath],
    { timeout: 30_000, maxBuffer: 4 * 1024 * 1024 },
  );
  const probe = probeSchema.parse(JSON.parse(stdout));
  const video = probe.streams.find((s) => s.codec_type === 'video' && s.width && s.height);
  if (!video?.width || !video.height) throw new Error('the file holds no video or image stream');
  const duration = probe.format.duration === undefined ? NaN : Number(probe.format.duration);
  return {
    codec: video.codec_name ?? 'unknown',
    width: video.width,
    height: video.height,
    durationSeconds: Number.isFinite(duration) ? duration : null,
  };
}

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * How the light pixels of an image (white text on Manim's black) fill their bounding box. A missing glyph is drawn
 * as a filled box, so a line of them fills most of it; real glyphs, with their strokes and counters, far less.
 */
export async function inkOf(file: string): Promise<{ inkPixels: number; fillOfBox: number }> {
  const { stdout: size } = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', file]);
  const [width, height] = size.trim().split(',').map(Number) as [number, number];
  const { stdout } = await run('ffmpeg', ['-v', 'error', '-i', file, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'gray', '-'], {
    encoding: 'buffer',
    maxBuffer: 64 * 1024 * 1024,
  });
  const pixels = stdout as Buffer;
  let ink = 0;
  let [left, top, right, bottom] = [width, height, -1, -1];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (pixels[y * width + x]! < 128) continue;
      ink++;
      left = Math.min(left, x);
      right = Math.max(right, x);
      top = Math.min(top, y);
      bottom = Math.max(bottom, y);
    }
  }
  const box = right < 0 ? 0 : (right - left + 1) * (bottom - top + 1);
  return { inkPixels: ink, fillOfBox: box === 0 ? 0 : ink / box };
}

import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const PROJECTS = path.join(__dirname, '..', 'fixtures', 'projects');

/** A project directory as a render request: its `scene.py` as the code, every other file inline (base64). */
export function projectRequest(name: string, options: { except?: (file: string) => boolean } = {}): { code: string; files: Array<{ path: string; content: string }> } {
  const root = path.join(PROJECTS, name);
  const files: Array<{ path: string; content: string }> = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      const relative = path.relative(root, full).split(path.sep).join('/');
      if (entry.isDirectory()) {
        if (entry.name !== '__pycache__') walk(full);
      } else if (relative !== 'scene.py' && !options.except?.(relative)) {
        files.push({ path: relative, content: fs.readFileSync(full).toString('base64') });
      }
    }
  };
  walk(root);
  return { code: fs.readFileSync(path.join(root, 'scene.py'), 'utf8'), files };
}

/** A file's audio streams' codecs, as ffprobe reads them. */
export async function audioCodecsOf(file: string): Promise<string[]> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', 'a', '-show_entries', 'stream=codec_name', '-of', 'csv=p=0', file]);
  return stdout.split('\n').map((line) => line.trim()).filter(Boolean);
}

/**
 * The loudness of a file's first audio track over time: its decoded samples (mono, 8 kHz) as the RMS of each
 * `windowSeconds`, in [0, 1] of full scale.
 */
export async function loudnessOf(file: string, windowSeconds = 0.1): Promise<number[]> {
  const rate = 8000;
  const { stdout } = await run('ffmpeg', ['-v', 'error', '-i', file, '-map', '0:a:0', '-ac', '1', '-ar', String(rate), '-f', 's16le', '-'], {
    encoding: 'buffer',
    maxBuffer: 64 * 1024 * 1024,
  });
  const pcm = stdout as Buffer;
  const perWindow = Math.round(rate * windowSeconds);
  const windows: number[] = [];
  for (let start = 0; start + perWindow * 2 <= pcm.length; start += perWindow * 2) {
    let sum = 0;
    for (let i = 0; i < perWindow; i++) {
      const sample = pcm.readInt16LE(start + i * 2) / 32768;
      sum += sample * sample;
    }
    windows.push(Math.sqrt(sum / perWindow));
  }
  return windows;
}

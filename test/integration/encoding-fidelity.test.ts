import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { APP_ROOT } from '../../src/config/config';
import { ffprobe, fixture, FIXTURES, startService, type ServiceHarness } from '../support/service-harness';

const run = promisify(execFile);

// The service encodes with settings of its own (python/manim_worker/encoding.py): at high quality its movies must
// look like `manim render`'s (SSIM ≥ 0.995 over every frame) and be no more than 10% larger.
jest.setTimeout(300_000);

let service: ServiceHarness;
let cliDir: string;

beforeAll(async () => {
  service = await startService({ RESULT_CACHE: 'false', SPLIT_MAX_PARTS: '1' });
  cliDir = fs.mkdtempSync(path.join(os.tmpdir(), 'manim-render-cli-'));
});

afterAll(async () => {
  await service?.stop();
  fs.rmSync(cliDir, { recursive: true, force: true });
});

async function cliRender(file: string, scene: string): Promise<string> {
  const python = path.join(APP_ROOT, '.venv', 'bin', 'python');
  await run(python, ['-m', 'manim', 'render', '-qh', '--disable_caching', '--media_dir', cliDir, path.join(FIXTURES, file), scene], { cwd: cliDir, maxBuffer: 16 << 20 });
  return path.join(cliDir, 'videos', path.basename(file, '.py'), '1080p60', `${scene}.mp4`);
}

/** ffmpeg's SSIM of `distorted` against `reference`, over all frames and planes. */
async function ssim(distorted: string, reference: string): Promise<number> {
  const { stderr } = await run('ffmpeg', ['-hide_banner', '-i', distorted, '-i', reference, '-lavfi', 'ssim', '-f', 'null', '-'], { maxBuffer: 16 << 20 });
  const all = / All:([\d.]+)/.exec(stderr);
  if (!all) throw new Error(`no SSIM in ffmpeg's output: ${stderr.slice(-500)}`);
  return Number(all[1]);
}

describe('the service encodes as well as manim render', () => {
  it.each([
    ['tiny.py', 'TinyCircle'],
    ['text_transform.py', 'TitleSwap'],
    ['long_waits.py', 'LongWaits'],
  ])('%s at high quality: SSIM ≥ 0.995 against the CLI, at most 10%% larger, same frames and format', async (file, scene) => {
    const [job, reference] = await Promise.all([service.submit({ code: fixture(file), quality: 'high' }).then((j) => service.waitFor(j.id)), cliRender(file, scene)]);
    expect(job.status).toBe('succeeded');
    const ours = await service.download(job, scene);
    const [a, b] = await Promise.all([ffprobe(ours), ffprobe(reference)]);
    expect(a).toMatchObject({ codec: b.codec, width: 1920, height: 1080 });
    expect(a.width).toBe(b.width);
    expect(a.durationSeconds).toBeCloseTo(b.durationSeconds, 1);
    expect(await ssim(ours, reference)).toBeGreaterThanOrEqual(0.995);
    expect(fs.statSync(ours).size).toBeLessThanOrEqual(fs.statSync(reference).size * 1.1);
  });
});

import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import type { JobView } from '../../src/contracts/job';
import { inkOf } from '../support/ink';
import { audioCodecsOf, loudnessOf, PROJECTS, projectRequest } from '../support/project-fixture';
import { ffprobe, fixture, startService, type ServiceHarness } from '../support/service-harness';

// Real renders of projects: a scene with the files it opens, imports and plays, in local mode.
jest.setTimeout(240_000);

const SHOWCASE = path.join(PROJECTS, 'showcase');
const showcaseFile = (relative: string) => fs.readFileSync(path.join(SHOWCASE, relative));
const inline = (relative: string) => ({ path: relative, content: showcaseFile(relative).toString('base64') });

let service: ServiceHarness;

beforeAll(async () => {
  service = await startService({ RENDER_CONCURRENCY: '2', SPLIT_MAX_PARTS: '2', SPLIT_MIN_SCENE_SECONDS: '1', SPLIT_MIN_PART_SECONDS: '0.5' });
});

afterAll(async () => {
  await service.stop();
});

async function upload(bytes: Buffer): Promise<{ sha256: string; size: number; kind: string; expiresAt: string }> {
  const res = await service.request('POST', '/v1/files', undefined, { 'content-type': 'application/octet-stream' });
  expect(res.status).toBe(400); // no body: an empty file is refused
  const stored = await fetch(`${service.url}/v1/files`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: bytes });
  expect(stored.status).toBe(201);
  return (await stored.json()) as { sha256: string; size: number; kind: string; expiresAt: string };
}

function sceneOf(job: JobView, name: string) {
  const scene = job.scenes.find((s) => s.name === name);
  if (!scene) throw new Error(`no scene ${name} in ${JSON.stringify(job)}`);
  return scene;
}

/** Seconds of the loudness windows (0.1 s each) that are clearly sounding. */
function soundingWindows(loudness: number[]): number[] {
  return loudness.flatMap((rms, i) => (rms > 0.05 ? [Math.round(i) / 10] : []));
}

describe('projects: files beside the scene', () => {
  it('renders a project with a helper package, an image, an SVG, a font, two sounds and data, its audio in the mp4', async () => {
    // The mp3 and the font are uploaded once and named by hash; the rest travel inline.
    const chime = await upload(showcaseFile('sounds/chime.mp3'));
    expect(chime).toMatchObject({ kind: 'mp3', size: showcaseFile('sounds/chime.mp3').length });
    expect(chime.sha256).toBe(createHash('sha256').update(showcaseFile('sounds/chime.mp3')).digest('hex'));
    expect(Date.parse(chime.expiresAt)).toBeGreaterThan(Date.now() + 24 * 3600 * 1000);
    const font = await upload(showcaseFile('fonts/ComicNeue-Regular.otf'));
    expect(font.kind).toBe('font');

    const { code, files } = projectRequest('showcase', { except: (file) => file === 'sounds/chime.mp3' || file.endsWith('.otf') });
    const submitted = await service.submit({
      code,
      quality: 'low',
      files: [...files, { path: 'sounds/chime.mp3', sha256: chime.sha256 }, { path: 'fonts/ComicNeue-Regular.otf', sha256: font.sha256 }],
    });
    expect(submitted.files?.map((f) => f.path).sort()).toEqual(
      ['assets/logo.png', 'assets/star.svg', 'data/points.json', 'fonts/ComicNeue-Regular.otf', 'fonts/OFL.txt', 'helpers/__init__.py', 'helpers/palette.py', 'helpers/shapes.py', 'sounds/beep.wav', 'sounds/chime.mp3'],
    );
    const job = await service.waitFor(submitted.id);
    const scene = sceneOf(job, 'Showcase');
    expect(scene.error).toBeUndefined();
    expect(scene.status).toBe('succeeded');
    expect(scene.output?.audioCodec).toBe('aac');
    const file = await service.download(job, 'Showcase');
    expect(await ffprobe(file)).toMatchObject({ codec: 'h264', width: 854, height: 480 });
    expect(await audioCodecsOf(file)).toEqual(['aac']);
    // The beep (880 Hz, 0-0.4 s) and the chime (from 1.2 s, 0.5 s long), silence between them.
    const sounding = soundingWindows(await loudnessOf(file));
    expect(sounding).toEqual(expect.arrayContaining([0, 0.1, 0.2, 1.3, 1.4]));
    expect(sounding.filter((t) => t >= 0.6 && t <= 1.1)).toEqual([]);
  });

  it('uses a font the project brings: Text(font=...) draws its glyphs, not a fallback', async () => {
    const withFont = await service.submit({ code: fixture('project_font.py'), quality: 'low', format: 'png', files: [inline('fonts/ComicNeue-Regular.otf')] });
    const without = await service.submit({ code: fixture('project_font.py'), quality: 'low', format: 'png' });
    const [a, b] = await Promise.all([service.waitFor(withFont.id), service.waitFor(without.id)]);
    expect(a.status).toBe('succeeded');
    expect(b.status).toBe('succeeded');
    const [fileA, fileB] = [await service.download(a, 'FontSample'), await service.download(b, 'FontSample')];
    const [inkA, inkB] = [await inkOf(fileA), await inkOf(fileB)];
    expect(inkA.inkPixels).toBeGreaterThan(1000);
    // Another face draws other pixels: the same text, a different amount of ink.
    expect(Math.abs(inkA.inkPixels - inkB.inkPixels) / inkB.inkPixels).toBeGreaterThan(0.05);
    expect(fs.readFileSync(fileA).equals(fs.readFileSync(fileB))).toBe(false);
  });

  it.each([
    ['webm', ['opus']],
    ['mov', ['pcm_s16le']],
  ])('carries the sound in a %s', async (format, codecs) => {
    const submitted = await service.submit({ code: fixture('sound_beeps.py'), quality: 'low', format, files: [inline('sounds/beep.wav')] });
    const job = await service.waitFor(submitted.id);
    expect(sceneOf(job, 'Beeps')).toMatchObject({ status: 'succeeded' });
    const file = await service.download(job, 'Beeps');
    expect(await audioCodecsOf(file)).toEqual(codecs);
    const sounding = soundingWindows(await loudnessOf(file));
    expect(sounding).toEqual(expect.arrayContaining([0.1, 1.1]));
    expect(sounding.filter((t) => t >= 0.6 && t <= 0.9)).toEqual([]);
  });

  it.each(['gif', 'png'])('says a %s has no room for the sound', async (format) => {
    const submitted = await service.submit({ code: fixture('sound_beeps.py'), quality: 'low', format, files: [inline('sounds/beep.wav')] });
    const job = await service.waitFor(submitted.id);
    const scene = sceneOf(job, 'Beeps');
    expect(scene.status).toBe('succeeded');
    expect(scene.notices).toEqual([expect.stringContaining(`a ${format} has no audio track`)]);
    expect(scene.output?.audioCodec).toBeUndefined();
  });

  it('renders a splittable scene with sound whole, with the reason, and keeps its audio', async () => {
    const submitted = await service.submit({ code: fixture('long_with_sound.py'), quality: 'low', files: [inline('sounds/beep.wav')] });
    const job = await service.waitFor(submitted.id);
    const scene = sceneOf(job, 'LongWithSound');
    expect(scene.status).toBe('succeeded');
    expect(scene.split?.fallbackReason).toMatch(/adds sound/);
    const file = await service.download(job, 'LongWithSound');
    const sounding = soundingWindows(await loudnessOf(file));
    expect(sounding).toEqual(expect.arrayContaining([0.1, 3.3]));
    expect(sounding.filter((t) => t >= 1 && t <= 2.5)).toEqual([]);
  });

  it('lays the files out read-only: a scene that writes one fails with its own line', async () => {
    const submitted = await service.submit({ code: fixture('writes_project_file.py'), quality: 'low', files: [inline('data/points.json')] });
    const job = await service.waitFor(submitted.id);
    const scene = sceneOf(job, 'Overwrite');
    expect(scene.status).toBe('failed');
    expect(scene.error).toMatchObject({ code: 'scene_error', line: 8 });
    expect(scene.error?.message).toMatch(/Permission denied|Read-only/);
  });

  it('refuses bad files with 400s that name the problem', async () => {
    const code = fixture('tiny.py');
    const png = showcaseFile('assets/logo.png').toString('base64');
    const cases: Array<[unknown, string]> = [
      [[{ path: '../escape.png', content: png }], 'invalid_file_path'],
      [[{ path: '/abs.png', content: png }], 'invalid_file_path'],
      [[{ path: 'a.png', content: png }, { path: 'a.png', content: png }], 'duplicate_file_path'],
      [[{ path: 'logo.jpg', content: png }], 'file_type_mismatch'],
      [[{ path: 'tool.exe', content: png }], 'unsupported_file_type'],
      [[{ path: 'a.png', sha256: 'f'.repeat(64) }], 'unknown_file'],
      [[{ path: 'a.png', content: 'not base64!' }], 'invalid_request'],
    ];
    for (const [files, code_] of cases) {
      const res = await service.request('POST', '/v1/renders', { code, files });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(code_);
    }
    const script = await fetch(`${service.url}/v1/files`, { method: 'POST', body: Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0, 0]) });
    expect(script.status).toBe(400);
    expect(((await script.json()) as { error: { code: string } }).error.code).toBe('unsupported_file_type');
    const uploads = await service.request('POST', '/v1/files/uploads', { sha256: 'a'.repeat(64), size: 10 });
    expect(uploads.status).toBe(400);
    expect(((await uploads.json()) as { error: { code: string } }).error.code).toBe('uploads_not_supported');
  });
});

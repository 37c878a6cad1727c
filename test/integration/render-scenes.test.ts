import fs from 'node:fs';
import type { JobView } from '../../src/contracts/job';
import { inkOf } from '../support/ink';
import { ffprobe, fixture, startService, type ServiceHarness } from '../support/service-harness';

// Real Manim renders through the real API, at low quality (480p15) unless a test is about quality.
jest.setTimeout(180_000);

let service: ServiceHarness;

beforeAll(async () => {
  service = await startService();
});

afterAll(async () => {
  await service.stop();
});

async function renderFixture(file: string, options: Record<string, unknown> = {}): Promise<JobView> {
  const submitted = await service.submit({ code: fixture(file), quality: 'low', ...options });
  return service.waitFor(submitted.id);
}

function sceneOf(job: JobView, name: string) {
  const scene = job.scenes.find((s) => s.name === name);
  if (!scene) throw new Error(`no scene ${name} in ${JSON.stringify(job)}`);
  return scene;
}

async function expectLowQualityVideo(job: JobView, scene: string, minSeconds = 0.1): Promise<void> {
  const probe = await ffprobe(await service.download(job, scene));
  expect(probe).toMatchObject({ codec: 'h264', width: 854, height: 480 });
  expect(probe.durationSeconds).toBeGreaterThan(minSeconds);
}

describe('rendering real scenes', () => {
  it('renders the smallest scene to an h264 mp4 at 480p', async () => {
    const job = await renderFixture('tiny.py');
    expect(job.status).toBe('succeeded');
    expect(job.progress).toBe(1);
    const scene = sceneOf(job, 'TinyCircle');
    expect(scene.output).toMatchObject({ contentType: 'video/mp4', width: 854, height: 480 });
    expect(scene.output?.durationSeconds).toBeCloseTo(1.5, 0);
    await expectLowQualityVideo(job, 'TinyCircle', 1.2);
  });

  it('renders Pango text', async () => {
    const job = await renderFixture('text_transform.py');
    expect(job.status).toBe('succeeded');
    await expectLowQualityVideo(job, 'TitleSwap', 1);
  });

  it('renders LaTeX through MathTex', async () => {
    const job = await renderFixture('tex_equation.py');
    expect(sceneOf(job, 'EulerSteps')).toMatchObject({ status: 'succeeded' });
    await expectLowQualityVideo(job, 'EulerSteps', 1);
  });

  it('renders every scene of a multi-scene file, one video each, and skips classes that are not scenes', async () => {
    const submitted = await service.submit({ code: fixture('multi_scene.py'), quality: 'low' });
    expect(submitted.scenes.map((s) => s.name)).toEqual(['PartOne', 'PartTwo', 'PartThree']);
    const job = await service.waitFor(submitted.id);
    expect(job.status).toBe('succeeded');
    for (const scene of ['PartOne', 'PartTwo', 'PartThree']) await expectLowQualityVideo(job, scene);
  });

  it('renders only the scenes asked for', async () => {
    const job = await renderFixture('multi_scene.py', { scenes: ['PartTwo'] });
    expect(job.scenes.map((s) => s.name)).toEqual(['PartTwo']);
    expect(job.status).toBe('succeeded');
  });

  it('renders a MovingCameraScene and a ThreeDScene', async () => {
    const job = await renderFixture('camera_and_3d.py');
    expect(job.status).toBe('succeeded');
    await expectLowQualityVideo(job, 'ZoomOnDot');
    await expectLowQualityVideo(job, 'SpinningCube', 2);
  });

  it('renders at the resolution and frame rate of the quality asked for', async () => {
    const job = await renderFixture('tiny.py', { quality: 'medium' });
    const probe = await ffprobe(await service.download(job, 'TinyCircle'));
    expect(probe).toMatchObject({ width: 1280, height: 720 });
    // 1.5 s of video at 30 fps.
    expect(probe.frames).toBeGreaterThanOrEqual(44);
  });

  it('renders the same bytes twice for a scene that uses unseeded randomness', async () => {
    const first = await renderFixture('random_colors.py');
    const second = await renderFixture('random_colors.py');
    const a = fs.readFileSync(await service.download(first, 'RandomTiles'));
    const b = fs.readFileSync(await service.download(second, 'RandomTiles'));
    expect(a.length).toBeGreaterThan(1000);
    expect(a.equals(b)).toBe(true);
  });

  it('renders the same bytes twice for a scene whose drawing order follows string hashing (a set of names)', async () => {
    const first = await renderFixture('hash_order.py');
    const second = await renderFixture('hash_order.py');
    const a = fs.readFileSync(await service.download(first, 'SetOrder'));
    const b = fs.readFileSync(await service.download(second, 'SetOrder'));
    expect(a.length).toBeGreaterThan(1000);
    expect(a.equals(b)).toBe(true);
  });

  it("compiles the user's code with its own future flags, not the worker's (annotations are evaluated)", async () => {
    const job = await renderFixture('future_annotations.py');
    expect(sceneOf(job, 'RealAnnotations')).toMatchObject({ status: 'succeeded' });
  });

  it('renders ImageMobject and ZoomedScene (the pinned Pillow takes the image mode ManimCE passes)', async () => {
    const job = await renderFixture('image_and_zoom.py');
    expect(job.scenes.map((s) => [s.name, s.status])).toEqual([
      ['PixelImage', 'succeeded'],
      ['ZoomOnDot', 'succeeded'],
    ]);
    await expectLowQualityVideo(job, 'PixelImage');
  });

  it("renders ManimCE's Typst mobjects (Typst, MathTypst) in the sandbox", async () => {
    const job = await renderFixture('typst_text.py');
    expect(sceneOf(job, 'TypstHello')).toMatchObject({ status: 'succeeded' });
    await expectLowQualityVideo(job, 'TypstHello');
  });

  it('renders a scene whose plan pass alone fails (skipping animations changes what it computes), whole, and says so', async () => {
    const job = await renderFixture('plan_only_failure.py');
    const scene = sceneOf(job, 'ShrinkingPause');
    expect(scene).toMatchObject({ status: 'succeeded', planFailure: 'the plan pass raised ValueError: The run_time of Create cannot be negative. The given value was -0.5.' });
    await expectLowQualityVideo(job, 'ShrinkingPause');
  });

  it('still fails a scene that fails in its render too, with its own error', async () => {
    const code = 'from manim import *\n\nclass Broken(Scene):\n    def construct(self):\n        self.play(Create(Square()), run_time=-1)\n';
    const job = await service.waitFor((await service.submit({ code, quality: 'low' })).id);
    expect(sceneOf(job, 'Broken')).toMatchObject({ status: 'failed', error: { code: 'scene_error' } });
  });

  it('does not need `from manim import *` and does not break when it is there', async () => {
    const code = fixture('tiny.py').replace('from manim import *\n', '');
    const job = await service.waitFor((await service.submit({ code, quality: 'low' })).id);
    expect(job.status).toBe('succeeded');
  });
});

describe('text in every script', () => {
  it('draws Chinese, Arabic, Devanagari and emoji as glyphs, not as missing-glyph boxes', async () => {
    const job = await renderFixture('scripts.py', { format: 'png' });
    const fill: Record<string, number> = {};
    for (const scene of job.scenes) {
      expect(scene.status).toBe('succeeded');
      const ink = await inkOf(await service.download(job, scene.name));
      expect({ scene: scene.name, drawn: ink.inkPixels > 2000 }).toEqual({ scene: scene.name, drawn: true });
      fill[scene.name] = Math.round(ink.fillOfBox * 100) / 100;
    }
    // The control proves the measure: code points no font has fill their box as missing-glyph boxes do.
    expect(fill.NoFontHasThese).toBeGreaterThan(0.7);
    for (const script of ['Chinese', 'Arabic', 'Devanagari', 'Emoji']) {
      expect({ script, fill: fill[script] }).toEqual({ script, fill: expect.any(Number) });
      expect({ script, glyphs: fill[script]! < 0.55 }).toEqual({ script, glyphs: true });
    }
  });
});

describe('LaTeX the renderer lacks', () => {
  it('names a missing LaTeX package in the error', async () => {
    const code = [
      'from manim import *',
      '',
      'class Vectors(Scene):',
      '    def construct(self):',
      '        template = TexTemplate()',
      '        template.add_to_preamble(r"\\usepackage{esvect}")',
      '        self.add(MathTex(r"\\vv{a}", tex_template=template))',
      '',
    ].join('\n');
    const job = await service.waitFor((await service.submit({ code, quality: 'low' })).id);
    expect(sceneOf(job, 'Vectors')).toMatchObject({
      status: 'failed',
      error: { code: 'latex_package_missing', line: 7, message: expect.stringContaining('the LaTeX package esvect (esvect.sty) is not installed') },
    });
  });

  it("says xelatex is missing for ManimCE's ctex template", async () => {
    const code = 'from manim import *\n\nclass Chinese(Scene):\n    def construct(self):\n        self.add(Tex("你好", tex_template=TexTemplateLibrary.ctex))\n';
    const job = await service.waitFor((await service.submit({ code, quality: 'low' })).id);
    expect(sceneOf(job, 'Chinese')).toMatchObject({ status: 'failed', error: { code: 'latex_unavailable', message: expect.stringContaining('no xelatex') } });
  });
});

describe('output formats', () => {
  it.each([
    ['gif', 'image/gif', 'gif'],
    ['webm', 'video/webm', 'vp9'],
    ['mov', 'video/quicktime', undefined],
  ])('renders %s', async (format, contentType, codec) => {
    const job = await renderFixture('tiny.py', { format });
    const scene = sceneOf(job, 'TinyCircle');
    expect(scene).toMatchObject({ status: 'succeeded', output: { contentType } });
    const probe = await ffprobe(await service.download(job, 'TinyCircle'));
    expect(probe).toMatchObject({ width: 854, height: 480 });
    if (codec) expect(probe.codec).toBe(codec);
    expect(probe.durationSeconds).toBeGreaterThan(1);
  });

  it('renders the last frame as a png', async () => {
    const job = await renderFixture('tiny.py', { format: 'png' });
    const scene = sceneOf(job, 'TinyCircle');
    expect(scene.output).toMatchObject({ contentType: 'image/png', width: 854, height: 480, durationSeconds: null });
    const file = await service.download(job, 'TinyCircle');
    expect(fs.readFileSync(file).subarray(1, 4).toString()).toBe('PNG');
    expect(await ffprobe(file)).toMatchObject({ codec: 'png', width: 854, height: 480 });
  });
});

describe('scene failures', () => {
  it('fails a scene that raises, with the traceback pointing at the user\'s own line', async () => {
    const job = await renderFixture('broken_midway.py');
    expect(job.status).toBe('failed');
    const scene = sceneOf(job, 'BrokenMidway');
    expect(scene.error).toMatchObject({ code: 'scene_error', line: 12 });
    expect(scene.error?.message).toContain('ZeroDivisionError');
    expect(scene.error?.traceback).toContain('line 12');
    expect(scene.error?.traceback).toContain('box.scale(1 / ratio)');
    // Failed by the scene: not retried.
    expect(scene.attempts).toBe(1);
    const logs = await service.request('GET', `/v1/renders/${job.id}/scenes/BrokenMidway/logs`);
    expect(logs.status).toBe(200);
    expect(logs.headers.get('content-type')).toContain('text/plain');
    expect(await logs.text()).toContain('ZeroDivisionError: division by zero');
  });

  it('fails an endless scene at its time limit and keeps rendering other jobs', async () => {
    const started = Date.now();
    const job = await renderFixture('never_ends.py', { timeoutSeconds: 3 });
    expect(sceneOf(job, 'NeverEnds').error).toMatchObject({ code: 'timeout' });
    expect(Date.now() - started).toBeLessThan(30_000);
    const next = await renderFixture('tiny.py');
    expect(next.status).toBe('succeeded');
  });

  it('cancels a scene while it renders, promptly, and renders the next job', async () => {
    const submitted = await service.submit({ code: fixture('never_ends.py'), quality: 'low', timeoutSeconds: 120 });
    await service.waitFor(submitted.id, (j) => j.status === 'rendering');
    const cancelledAt = Date.now();
    const res = await service.request('POST', `/v1/renders/${submitted.id}/cancel`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as JobView).status).toBe('cancelled');
    // The renderer notices at its next heartbeat and kills the worker: the next job starts soon after.
    const next = await renderFixture('tiny.py');
    expect(next.status).toBe('succeeded');
    expect(Date.now() - cancelledAt).toBeLessThan(20_000);
    expect((await service.job(submitted.id)).status).toBe('cancelled');
  });

  it('never starts a queued scene that was cancelled', async () => {
    const blocker = await service.submit({ code: fixture('never_ends.py'), quality: 'low', timeoutSeconds: 120 });
    const queued = await service.submit({ code: fixture('tiny.py'), quality: 'low' });
    const res = await service.request('POST', `/v1/renders/${queued.id}/cancel`);
    expect(res.status).toBe(200);
    await service.request('POST', `/v1/renders/${blocker.id}/cancel`);
    await renderFixture('tiny.py');
    const job = await service.job(queued.id);
    expect(job.status).toBe('cancelled');
    expect(job.scenes[0]?.attempts).toBe(0);
  });
});

describe('rejected at submit time', () => {
  it('rejects a syntax error with its line', async () => {
    const res = await service.request('POST', '/v1/renders', { code: fixture('syntax_error.py') });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string; details: { line: number } } };
    expect(body.error.code).toBe('syntax_error');
    expect(body.error.details.line).toBe(6);
    expect(body.error.message).toContain('line 6');
  });

  it('rejects a file with no Scene subclass', async () => {
    const res = await service.request('POST', '/v1/renders', { code: fixture('no_scene.py') });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'no_scene' } });
  });

  it('rejects a scene name the file does not define, listing the ones it does', async () => {
    const res = await service.request('POST', '/v1/renders', { code: fixture('multi_scene.py'), scenes: ['_Helper'] });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: { code: 'unknown_scene', details: { unknown: ['_Helper'], available: ['PartOne', 'PartTwo', 'PartThree'] } },
    });
  });
});

describe('files and jobs', () => {
  let job: JobView;

  beforeAll(async () => {
    job = await renderFixture('tiny.py');
  });

  it('serves byte ranges of a video so a player can seek', async () => {
    const url = `/v1/renders/${job.id}/scenes/TinyCircle/video`;
    const whole = Buffer.from(await (await service.request('GET', url)).arrayBuffer());
    const res = await service.request('GET', url, undefined, { Range: 'bytes=100-199' });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes 100-199/${whole.length}`);
    expect(Buffer.from(await res.arrayBuffer()).equals(whole.subarray(100, 200))).toBe(true);
    const beyond = await service.request('GET', url, undefined, { Range: `bytes=${whole.length + 10}-` });
    expect(beyond.status).toBe(416);
  });

  it('lists jobs newest first, page by page', async () => {
    const first = await service.request('GET', '/v1/renders?pageSize=2');
    const page1 = (await first.json()) as { jobs: JobView[]; nextPageToken?: string };
    expect(page1.jobs).toHaveLength(2);
    expect(page1.nextPageToken).toBeDefined();
    expect(page1.jobs[0]!.createdAt >= page1.jobs[1]!.createdAt).toBe(true);
    const second = await service.request('GET', `/v1/renders?pageSize=2&pageToken=${page1.nextPageToken}`);
    const page2 = (await second.json()) as { jobs: JobView[] };
    const ids = new Set([...page1.jobs, ...page2.jobs].map((j) => j.id));
    expect(ids.size).toBe(4);
    const failed = (await (await service.request('GET', '/v1/renders?status=failed')).json()) as { jobs: JobView[] };
    expect(failed.jobs.length).toBeGreaterThan(0);
    expect(failed.jobs.every((j) => j.status === 'failed')).toBe(true);
  });

  it('deletes a job and its files', async () => {
    const doomed = await renderFixture('tiny.py');
    const del = await service.request('DELETE', `/v1/renders/${doomed.id}`);
    expect(del.status).toBe(204);
    expect((await service.request('GET', `/v1/renders/${doomed.id}`)).status).toBe(404);
    expect((await service.request('GET', `/v1/renders/${doomed.id}/scenes/TinyCircle/video`)).status).toBe(404);
    expect(fs.existsSync(`${service.dataDir}/blobs/jobs/${doomed.id}`)).toBe(false);
  });
});

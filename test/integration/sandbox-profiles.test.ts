import { ffprobe, fixture, startService, type ServiceHarness } from '../support/service-harness';

// The landlock profile on this host, chosen by setting (the host allows both; the simulated hosts that refuse
// namespaces are sandbox-hosts.test.ts): it renders the fixture scenes with every layer of the minimum active.
jest.setTimeout(180_000);

let service: ServiceHarness;

beforeAll(async () => {
  service = await startService({ SANDBOX: 'landlock', GLYPH_CACHE: 'true', TEX_CACHE: 'true' });
});

afterAll(async () => {
  await service?.stop();
});

describe('the landlock profile', () => {
  it('is ready, with Landlock in place of namespaces and every other required layer active', async () => {
    const res = await service.request('GET', '/readyz');
    const body = (await res.json()) as { checks: Record<string, { ok: boolean; detail: string }> };
    expect(body.checks.sandbox).toMatchObject({ ok: true, detail: expect.stringMatching(/^profile landlock/) });
    expect(body.checks['sandbox.landlock']?.detail).toMatch(/^active: Landlock ABI \d+/);
    expect(body.checks['sandbox.namespaces']?.detail).toMatch(/^inactive: not used/);
    for (const layer of ['env', 'uid', 'seccomp', 'rlimits', 'disk_quota']) expect(body.checks[`sandbox.${layer}`]?.detail).toMatch(/^active/);
    expect(res.status).toBe(200);
  });

  it.each(['tiny.py', 'text_transform.py', 'tex_equation.py', 'camera_and_3d.py', 'counter.py'])('renders %s', async (file) => {
    const job = await service.waitFor((await service.submit({ code: fixture(file), quality: 'low' })).id, undefined, 150_000);
    expect(job.scenes.map((scene) => [scene.name, scene.status, scene.error?.message])).toEqual(job.scenes.map((scene) => [scene.name, 'succeeded', undefined]));
    const probe = await ffprobe(await service.download(job, job.scenes[0]!.name));
    expect(probe).toMatchObject({ codec: 'h264', width: 854, height: 480 });
  });
});

import { fixture, startService, type ServiceHarness } from '../support/service-harness';

// A host without memory cgroups (SANDBOX_CGROUPS=false stands for one, as on Cloud Run): the supervisor bounds the
// sandbox's whole memory itself, against each way of taking memory that RLIMIT_AS does not see and all of them at
// once, under both profiles.
jest.setTimeout(180_000);

const MiB = 1024 * 1024;

describe.each(['bwrap', 'landlock'] as const)('the memory of a whole sandbox without cgroups (%s profile)', (profile) => {
  let service: ServiceHarness;

  beforeAll(async () => {
    service = await startService({
      SANDBOX: profile,
      SANDBOX_CGROUPS: 'false',
      SANDBOX_MEMORY_BYTES: String(768 * MiB),
      SANDBOX_TMP_BYTES: String(64 * MiB),
      SANDBOX_MAX_PROCESSES: '32',
      SUBMIT_LINT: 'false',
    });
  });

  afterAll(async () => {
    await service?.stop();
  });

  async function attack(file: string) {
    const job = await service.waitFor((await service.submit({ code: fixture(file), quality: 'low', timeoutSeconds: 60 })).id, undefined, 120_000);
    const scene = job.scenes[0]!;
    const log = await (await service.request('GET', `/v1/renders/${job.id}/scenes/${scene.name}/logs`)).text();
    return { scene, log };
  }

  it('says in readiness that the supervisor bounds the memory, as there is no memory cgroup', async () => {
    const body = (await (await service.request('GET', '/readyz')).json()) as { checks: Record<string, { detail: string }> };
    expect(body.checks['sandbox.memory_cgroup']?.detail).toMatch(/^inactive/);
    expect(body.checks['sandbox.memory_watch']?.detail).toMatch(/^active: .*805306368 bytes/);
  });

  it.each(['attacks/fork_memory.py', 'attacks/memfd_fill.py', 'attacks/memory_combined.py'])('stops %s at the limit of the whole sandbox', async (file) => {
    const { scene, log } = await attack(file);
    expect(scene).toMatchObject({ status: 'failed', error: { code: 'memory_limit' } });
    expect(log).toMatch(/\[sandbox\] Memory limit exceeded: the sandbox held \d+ bytes \(the limit is 805306368\)/);
    // A measured bound can be outrun for one interval (the attack may get to say it holds it all); what holds is that
    // the scene is stopped while it holds, and never reaches the end of its hold.
    expect(log).not.toContain('was not stopped');
  });

  it('renders an ordinary scene within the limit', async () => {
    const job = await service.waitFor((await service.submit({ code: fixture('tex_equation.py'), quality: 'low' })).id, undefined, 120_000);
    expect(job.status).toBe('succeeded');
  });
});

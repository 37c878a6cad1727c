import fs from 'node:fs';
import { fixture, startService } from '../support/service-harness';

// What the renderer says about its sandbox, and that it renders nothing when the sandbox is not there.
jest.setTimeout(120_000);

/** Host processes running as `uid`. */
function processesOf(uid: number): number[] {
  return fs.readdirSync('/proc').filter((entry) => {
    if (!/^\d+$/.test(entry)) return false;
    try {
      return Number(/^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1]) === uid;
    } catch {
      return false;
    }
  }).map(Number);
}

describe('the render sandbox in readiness', () => {
  it('reports each layer and whether it is active on GET /readyz', async () => {
    const service = await startService({ WARM_WORKER: 'false' });
    try {
      const res = await service.request('GET', '/readyz');
      expect(res.status).toBe(200);
      const body = (await res.json()) as { ready: boolean; checks: Record<string, { ok: boolean; detail: string }> };
      // This host lets bubblewrap make its namespaces: the strongest profile is chosen.
      expect(body.checks.sandbox).toEqual({ ok: true, detail: expect.stringMatching(/^profile bwrap; active layers: env, namespaces, uid, seccomp, rlimits, disk_quota/) });
      expect(body.checks['sandbox.profile']).toEqual({ ok: true, detail: 'bwrap' });
      for (const layer of ['env', 'namespaces', 'uid', 'seccomp', 'rlimits', 'disk_quota']) {
        expect(body.checks[`sandbox.${layer}`]).toEqual({ ok: true, detail: expect.stringMatching(/^active: /) });
      }
      // Optional layers: whether this host allows cgroups decides, and readiness does not depend on them.
      for (const layer of ['pids_cgroup', 'memory_cgroup']) {
        expect(body.checks[`sandbox.${layer}`]).toEqual({ ok: true, detail: expect.stringMatching(/^(active|inactive): /) });
      }
    } finally {
      await service.stop();
    }
  });

  it('refuses to render, and is not ready, when the sandbox cannot start', async () => {
    // A bubblewrap that fails at once stands for a host without user namespaces (gVisor, Cloud Run gen1).
    const uid = 64702;
    // (SANDBOX=bwrap: with auto, the landlock profile would take over, as sandbox-hosts.test.ts shows.)
    const service = await startService({ SANDBOX: 'bwrap', SANDBOX_BWRAP: '/bin/false', SANDBOX_UID: String(uid), TASK_MAX_ATTEMPTS: '1' });
    try {
      const res = await service.request('GET', '/readyz');
      expect(res.status).toBe(503);
      const body = (await res.json()) as { ready: boolean; checks: Record<string, { ok: boolean; detail: string }> };
      expect(body.ready).toBe(false);
      expect(body.checks.sandbox).toEqual({ ok: false, detail: expect.stringMatching(/^the render sandbox does not start on this host/) });

      const job = await service.waitFor((await service.submit({ code: fixture('tiny.py'), quality: 'low' })).id);
      // The worker refuses to start: the renderer's own failure, retried up to TASK_MAX_ATTEMPTS, then final.
      expect(job.scenes[0]).toMatchObject({ status: 'failed', error: { code: 'internal_error', message: expect.stringMatching(/failed to start/) } });
      expect(processesOf(uid)).toEqual([]);
    } finally {
      await service.stop();
    }
  });
});

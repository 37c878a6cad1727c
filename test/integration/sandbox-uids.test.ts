import type { JobView } from '../../src/contracts/job';
import { fixture, startService, type ServiceHarness } from '../support/service-harness';

// Two renders at once on one renderer, one of them hostile: each sandbox runs as a host uid of its own, so the
// kernel's per-user limits one scene exhausts are not the other's.
jest.setTimeout(120_000);

const FIRST_UID = 90_000 + Math.floor(Math.random() * 20_000);
let service: ServiceHarness;

beforeAll(async () => {
  service = await startService({ RENDER_CONCURRENCY: '2', SANDBOX_UID: String(FIRST_UID), SANDBOX_UID_COUNT: '16' });
});

afterAll(async () => {
  await service.stop();
});

async function logOf(job: JobView): Promise<string> {
  return (await service.request('GET', `/v1/renders/${job.id}/scenes/${job.scenes[0]!.name}/logs`)).text();
}

const root = process.getuid?.() === 0;

(root ? describe : describe.skip)('sandbox uids (the service as root)', () => {
  it('runs concurrent sandboxes as different host uids, so one exhausting a per-user limit leaves the other its own', async () => {
    const hog = await service.submit({ code: fixture('attacks/inotify_hog.py'), quality: 'low', timeoutSeconds: 60 });
    const user = await service.submit({ code: fixture('inotify_user.py'), quality: 'low', timeoutSeconds: 60 });
    const [hogDone, userDone] = await Promise.all([service.waitFor(hog.id), service.waitFor(user.id)]);
    expect(hogDone.status).toBe('succeeded');
    expect(userDone.status).toBe('succeeded');
    // The two rendered at the same time: otherwise the second opening one would prove nothing.
    const [h, u] = [hogDone.scenes[0]!, userDone.scenes[0]!];
    expect(Date.parse(h.startedAt!)).toBeLessThan(Date.parse(u.finishedAt!));
    expect(Date.parse(u.startedAt!)).toBeLessThan(Date.parse(h.finishedAt!));
    expect(await logOf(hogDone)).toMatch(/ATTACK_RESULT inotify held \d+ then Too many open files/);
    expect(await logOf(userDone)).toContain('ATTACK_RESULT inotify opened');
  });

  it('runs every sandbox as a uid of the configured range', async () => {
    const code = fixture('tiny.py').replace('def construct(self):', 'def construct(self):\n        import os; print("ATTACK_RESULT uid", os.getuid())');
    const job = await service.waitFor((await service.submit({ code, quality: 'low' })).id);
    const uid = Number(/ATTACK_RESULT uid (\d+)/.exec(await logOf(job))?.[1]);
    expect(uid).toBeGreaterThanOrEqual(FIRST_UID);
    expect(uid).toBeLessThan(FIRST_UID + 16);
  });
});

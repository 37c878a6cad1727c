import fs from 'node:fs';
import { fixture, startService, type ServiceHarness } from '../support/service-harness';

// A spare sandbox (Python up, Manim imported ahead of the next job) starts below the render running beside it, so
// its start takes only the CPU the render leaves; once it is taken for a job it runs at the renders' priority.
// Root only: an unprivileged supervisor cannot raise a sandbox again, so there spares start at the renders' level.
jest.setTimeout(120_000);

const asRoot = process.getuid?.() === 0;
let service: ServiceHarness;

beforeAll(async () => {
  service = await startService({ RESULT_CACHE: 'false' });
});

afterAll(async () => {
  await service?.stop();
});

/** Nice values of the render workers alive now (python -m manim_worker.render, inside their sandboxes). */
function renderWorkerNices(): number[] {
  const nices: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      // The worker itself, not the sandbox's launchers whose arguments name it.
      if (cmdline[1] !== '-m' || cmdline[2] !== 'manim_worker.render') continue;
      // stat(5): field 19 is the nice value; fields counted after the command's closing parenthesis.
      const fields = fs.readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ');
      nices.push(Number(fields[16]));
    } catch {
      // gone meanwhile
    }
  }
  return nices;
}

async function until(check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

(asRoot ? describe : describe.skip)('a spare sandbox', () => {
  it('waits below the renders, and renders at their priority once its job comes', async () => {
    // The spare started at boot, or after the previous render: one render worker, and it sits at 19.
    await until(() => renderWorkerNices().length === 1);
    expect(renderWorkerNices()).toEqual([19]);

    const job = await service.waitFor((await service.submit({ code: fixture('reports_priority.py'), quality: 'low' })).id);
    expect(job.status).toBe('succeeded');
    const log = await (await service.request('GET', `/v1/renders/${job.id}/scenes/ReportsPriority/logs`)).text();
    expect(log).toContain('render nice: 10');

    // The next spare is below the renders again.
    await until(() => renderWorkerNices().length === 1);
    expect(renderWorkerNices()).toEqual([19]);
  });
});

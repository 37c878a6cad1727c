// The Google clients' HTTP packages load through Node's own require (test/support/load-natively.ts), as in the
// emulated end-to-end test: they import ES modules dynamically, which Jest's registry cannot.
jest.mock('teeny-request', () => (require('../support/load-natively') as typeof import('../support/load-natively')).loadNatively('teeny-request'));
jest.mock('gaxios', () => (require('../support/load-natively') as typeof import('../support/load-natively')).loadNatively('gaxios'));

import type { ChaosTarget } from './chaos-target';
import { runChaos } from './chaos-run';
import { emulatedTarget } from './emulated-target';
import { localTarget } from './local-target';

// A short run of both targets on a fixed seed in `npm test`; `npm run test:chaos -- --minutes 30 --seed N`
// runs long, on both targets (`--target local` or `--target emulated` for one of them).
const seed = Number(process.env.CHAOS_SEED ?? 1);
const minutes = Number(process.env.CHAOS_MINUTES ?? 1);
const targets = (process.env.CHAOS_TARGETS ?? 'local,emulated').split(',');
const say = (line: string) => process.stderr.write(`[chaos] ${line}\n`);
jest.setTimeout((minutes * 60 + 900) * 1000);

const TARGETS: Record<string, { title: string; make: () => Promise<ChaosTarget> }> = {
  local: { title: 'the embedded default', make: () => localTarget({ seed, log: say }) },
  emulated: { title: 'the gcp stack on the emulators', make: () => emulatedTarget({ seed, log: say }) },
};

for (const name of targets) {
  const target = TARGETS[name];
  if (!target) throw new Error(`CHAOS_TARGETS: no target '${name}' (local, emulated)`);
  describe(`chaos on ${target.title} (seed ${seed}, ${minutes} min)`, () => {
    it('ends every job exactly once whatever dies, and leaves nothing behind', async () => {
      const figures = await runChaos({ seed, minutes, target: await target.make(), log: say });
      say(`figures: ${JSON.stringify(figures, null, 2)}`);
      expect(figures.jobs).toBeGreaterThan(0);
      expect(figures.violations).toEqual({});
    });
  });
}

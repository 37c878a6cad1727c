import { runChaos } from './chaos-run';

// A short run on a fixed seed in `npm test`; `npm run test:chaos -- --minutes 30 --seed N` runs long.
const seed = Number(process.env.CHAOS_SEED ?? 1);
const minutes = Number(process.env.CHAOS_MINUTES ?? 1);
jest.setTimeout((minutes * 60 + 600) * 1000);

describe(`chaos (seed ${seed}, ${minutes} min)`, () => {
  it('ends every job exactly once whatever dies, and leaves nothing behind', async () => {
    const figures = await runChaos({ seed, minutes, log: (line) => process.stderr.write(`[chaos] ${line}\n`) });
    process.stderr.write(`[chaos] figures: ${JSON.stringify(figures, null, 2)}\n`);
    expect(figures.jobs).toBeGreaterThan(0);
    expect(figures.violations).toEqual({});
  });
});

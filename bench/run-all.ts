import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { cacheHit } from './cache-hit';
import { fixedCost } from './fixed-cost';
import { hqProfile } from './hq-profile';
import { image } from './image';
import type { FixedCostData } from './fixed-cost-report';
import { ingress } from './ingress';
import { live } from './live';
import { PYTHON } from './support/cli-render';
import { cpuShare, cpuSnapshot, log, machineNow, RESULTS_DIR, table, writeResult, type BenchResult } from './support/report';
import { REPO } from './support/service-process';
import { settings } from './support/settings';
import { split } from './split';

/**
 * `npm run bench`: every benchmark in turn, each measuring the service next to its baseline in the same run.
 * Writes bench/results/<name>.json (raw figures) and bench/results/summary.md (the tables), and prints the tables.
 */
async function main(): Promise<void> {
  const started = Date.now();
  const context = {
    startedAt: machineNow(),
    node: process.version,
    manim: safe(() => execFileSync(PYTHON, ['-c', 'import manim; print(manim.__version__)'], { encoding: 'utf8' }).trim()),
    commit: safe(() => execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO, encoding: 'utf8' }).trim()),
    dirtyTree: safe(() => execFileSync('git', ['status', '--porcelain'], { cwd: REPO, encoding: 'utf8' }).trim() !== ''),
    settings,
  };
  const wanted = (name: string) => !settings.only || settings.only.includes(name);
  const results: BenchResult[] = [];
  const run = async (name: string, bench: () => Promise<BenchResult>) => {
    if (!wanted(name)) return;
    log(`${name}: start`);
    const t0 = Date.now();
    const startedAt = machineNow();
    const cpu0 = cpuSnapshot();
    const result = await bench();
    const cpu = cpuShare(cpu0, cpuSnapshot());
    const finishedAt = machineNow();
    const runContext = { ...context, benchStartedAt: startedAt, finishedAt, seconds: Math.round((Date.now() - t0) / 1000), cpu };
    // Other people's work on this shared machine is part of every figure: say how much there was.
    result.markdown = `_While this ran (${runContext.seconds} s): this benchmark used ${cpu.ownCores} and other processes ${cpu.otherCores} of the ${finishedAt.cpus} cores on average; load average ${startedAt.loadAverage[0]} → ${finishedAt.loadAverage[0]}._\n\n${result.markdown}`;
    writeResult(result, runContext);
    results.push(result);
    process.stdout.write(`\n## ${result.title}\n\n${result.markdown}\n`);
    log(`${name}: done in ${runContext.seconds} s`);
  };

  let fixed: FixedCostData | undefined;
  await run('fixed-cost', async () => {
    const result = await fixedCost();
    fixed = result.data;
    return result;
  });
  await run('hq-profile', hqProfile);
  await run('cache-hit', cacheHit);
  await run('split', () => split({ dispatchMs: settings.dispatchMs ?? fixed?.tinyOverheadMs }));
  await run('ingress', ingress);
  await run('live', live);
  // Needs the image in buildah's store (npm run test:image) and root: only when asked for (BENCH_ONLY=image).
  if (settings.only?.includes('image')) await run('image', image);

  const finished = machineNow();
  const summary = [
    '# Benchmark results',
    '',
    `Written by \`npm run bench\` (see docs/benchmarks.md). Commit ${context.commit}${context.dirtyTree ? ' with uncommitted changes' : ''}, Node ${context.node}, ManimCE ${context.manim}, ${finished.cpus} CPUs, ${finished.memoryGiB} GiB.`,
    `Started ${context.startedAt.at} (load average ${context.startedAt.loadAverage.join(', ')}), finished ${finished.at} (load average ${finished.loadAverage.join(', ')}), ${Math.round((Date.now() - started) / 1000)} s in all.`,
    `Settings: ${JSON.stringify(settings)}.`,
    '',
    '## Targets',
    '',
    table(
      ['target', 'reached', 'met'],
      results.flatMap((r) => r.targets.map((t) => [t.target, t.reached, t.met === 'n/a' ? 'n/a' : t.met ? 'yes' : '**no**'])),
    ),
    '',
    ...results.flatMap((r) => [`## ${r.title}`, '', r.markdown, '']),
  ].join('\n');
  if (!settings.only) fs.writeFileSync(path.join(RESULTS_DIR, 'summary.md'), summary);
  else fs.writeFileSync(path.join(RESULTS_DIR, `summary-${settings.only.join('-')}.md.tmp`), summary);
  process.stdout.write(`\n## Targets\n\n${summary.split('## Targets\n\n')[1]!.split('\n\n')[0]}\n`);
  log(`all done in ${Math.round((Date.now() - started) / 1000)} s; results in ${path.relative(process.cwd(), RESULTS_DIR)}/`);
}

function safe<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

// Each service and warm worker registers an 'exit' listener (the split model has 8 warm workers at once).
process.setMaxListeners(64);
// Ctrl-C: exit through 'exit', where every service and worker this run started is killed.
process.once('SIGINT', () => process.exit(130));
process.once('SIGTERM', () => process.exit(143));

main().catch((error: Error) => {
  process.stderr.write(`${error.stack ?? error.message}\n`);
  process.exit(1);
});

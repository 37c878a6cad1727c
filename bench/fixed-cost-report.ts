import { execFileSync } from 'node:child_process';
import type { Quality } from './support/cli-render';
import type { TreeMemory } from './support/proc-tree';
import { table, type TargetCheck } from './support/report';
import { median, millis, mib, ratio, seconds, summarize } from './support/stats';

/** The fixed-cost benchmark's figures, and the tables and target checks made of them. */

export interface ServiceRun {
  endToEndMs: number;
  submitMs: number;
  renderSeconds: number;
  overheadMs: number;
  /** createdAt → startedAt (the task queued until a render claimed it). */
  queueWaitMs: number;
  /** startedAt → finishedAt minus renderSeconds: claim and worker hand-over, output checks, ffprobe, storing. */
  afterRenderMs: number;
  /** finishedAt → the poll that saw it. */
  observeLagMs: number;
  /** CPU the next spare worker (started when this job took the waiting one) used while this job ran. */
  spareCpuMs: number;
  memory: TreeMemory;
}

export interface CaseResult {
  file: string;
  scene: string;
  quality: Quality;
  cli: Array<{ seconds: number; memory: TreeMemory }>;
  service: ServiceRun[];
  /** Seconds of the render pass alone on a warm process (low quality only). */
  work: number[];
  /** Seconds of the worker's plan pass alone on a warm process, measured once (low quality only). */
  plan?: number;
}

export interface FixedCostData {
  cases: CaseResult[];
  /** Wall time of one host ffprobe of a tiny.py movie (what the renderer runs on every output), and of `ffprobe -version`. */
  ffprobeMs: number[];
  ffprobeVersionMs: number[];
  /** Median overhead of tiny.py at low quality, ms: the split model's default dispatch cost. */
  tinyOverheadMs?: number;
}

/** Each path's time beyond the render work itself (medians): what a render costs before and after the frames. */
export function fixedCosts(r: CaseResult): { serviceMs: number; cliMs: number; percent: number } | undefined {
  if (!r.work.length) return undefined;
  const work = median(r.work);
  const serviceMs = Math.round((median(e2eSeconds(r)) - work) * 1000);
  const cliMs = Math.round((median(r.cli.map((c) => c.seconds)) - work) * 1000);
  return { serviceMs, cliMs, percent: Math.round((serviceMs / cliMs) * 100) };
}

function e2eSeconds(r: CaseResult): number[] {
  return r.service.map((s) => s.endToEndMs / 1000);
}

/** Paired ratios service/CLI of each repetition (the two ran next to each other). */
function pairedRatios(r: CaseResult): number[] {
  return r.service.map((s, i) => s.endToEndMs / 1000 / r.cli[i]!.seconds);
}

export function render(results: CaseResult[], data: Pick<FixedCostData, 'ffprobeMs' | 'ffprobeVersionMs'>): string {
  const fixed = table(
    ['scene', 'quality', 'n', 'CLI `manim render`', 'service end to end', 'ratio service/CLI (paired range)', 'worker renderSeconds', 'render pass alone, warm', 'plan pass alone, warm (1 run)', 'fixed cost: service / CLI'],
    results.map((r) => {
      const cli = summarize(r.cli.map((c) => c.seconds));
      const svc = summarize(e2eSeconds(r));
      const paired = summarize(pairedRatios(r));
      const render = summarize(r.service.map((s) => s.renderSeconds));
      const work = summarize(r.work);
      const fixed = fixedCosts(r);
      return [
        r.file,
        r.quality,
        String(r.cli.length),
        seconds(cli),
        seconds(svc),
        paired.n > 1 ? `${ratio(svc.median / cli.median)} (${ratio(paired.min)}–${ratio(paired.max)})` : ratio(svc.median / cli.median),
        seconds(render),
        r.work.length ? seconds(work) : '–',
        r.plan !== undefined ? `${r.plan.toFixed(2)} s` : '–',
        fixed ? `${fixed.serviceMs} ms / ${fixed.cliMs} ms = ${fixed.percent}%` : '–',
      ];
    }),
  );
  const overhead = table(
    ['scene', 'quality', 'overhead = e2e − renderSeconds', 'submit (POST → 202)', 'queued (createdAt → startedAt)', 'after render (→ finishedAt)', 'poll lag (finishedAt → seen)', 'CPU of the next spare worker meanwhile'],
    results.map((r) => {
      const pick = (f: (s: ServiceRun) => number) => millis(summarize(r.service.map(f)));
      return [r.file, r.quality, pick((s) => s.overheadMs), pick((s) => s.submitMs), pick((s) => s.queueWaitMs), pick((s) => s.afterRenderMs), pick((s) => s.observeLagMs), pick((s) => s.spareCpuMs)];
    }),
  );
  const memory = table(
    ['scene', 'quality', 'service worker tree: peak Σ RSS', 'service worker tree: Σ per-process peak', 'CLI tree: peak Σ RSS', 'CLI tree: Σ per-process peak'],
    results.map((r) => {
      const max = (values: number[]) => mib(Math.max(...values));
      return [
        r.file,
        r.quality,
        max(r.service.map((s) => s.memory.peakTreeRss)),
        max(r.service.map((s) => s.memory.sumProcessHwm)),
        max(r.cli.map((c) => c.memory.peakTreeRss)),
        max(r.cli.map((c) => c.memory.sumProcessHwm)),
      ];
    }),
  );
  return [
    '### Fixed cost: service end to end vs `python -m manim render`',
    '',
    'Medians with the range of the runs in brackets. The ratio is of the medians; the bracket gives the lowest and highest ratio of a service run to the CLI run made next to it. "Render pass alone, warm" is the render work itself: the worker\'s render pass on a process that imported Manim beforehand, no plan pass, no sandbox, no API (low quality only). Fixed cost = a path\'s median time minus that; the service\'s includes the plan pass its worker makes before rendering (shown alone beside it), and is within noise of zero or below it where the runs scatter more than the overhead.',
    '',
    fixed,
    '',
    '### Service overhead',
    '',
    'End to end (client side) minus the `renderSeconds` the renderer logs for the render (from taking the worker to its result: plan pass, render pass, sandbox). The other columns split it with the job\'s own timestamps (millisecond resolution, same clock).',
    '',
    overhead,
    '',
    `"After render" holds taking the output out of the dead sandbox, having it read by a sandboxed reader (a spare kept started; the file is copied into its directory), storing file and log, and recording the outcome. For comparison, a host \`ffprobe\` of a tiny.py movie (which the service never runs) took ${millis(summarize(data.ffprobeMs))} here, and \`ffprobe -version\` alone ${millis(summarize(data.ffprobeVersionMs))} (its start-up: it loads ${ffprobeLibraries()} shared libraries). The last column is CPU the spare worker started for the next job (Python, Manim import) spent while this job ran, competing for the same 2 cores.`,
    '',
    '### Renderer memory (peak over the runs)',
    '',
    'The worker process tree (sandbox supervisor, bubblewrap, Python) sampled from /proc every 20 ms while it renders; the spare worker started meanwhile is not counted. "Σ per-process peak" adds each process\'s own VmHWM: an upper bound that sampling cannot miss.',
    '',
    memory,
  ].join('\n');
}

function ffprobeLibraries(): string {
  try {
    return String(execFileSync('ldd', [execFileSync('sh', ['-c', 'command -v ffprobe'], { encoding: 'utf8' }).trim()], { encoding: 'utf8' }).split('\n').filter((l) => l.includes('.so')).length);
  } catch {
    return 'its';
  }
}

export function targets(results: CaseResult[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const tiny = results.find((r) => r.file === 'tiny.py' && r.quality === 'low');
  if (tiny) {
    const value = median(e2eSeconds(tiny)) / median(tiny.cli.map((c) => c.seconds));
    checks.push({ target: 'tiny.py end to end ≤ 0.6× the CLI (low quality)', reached: ratio(value), met: value <= 0.6 });
    const overhead = median(tiny.service.map((s) => s.overheadMs));
    const fixed = fixedCosts(tiny);
    checks.push({
      target: 'fixed cost ≤ 10% of the CLI\'s (tiny.py, low: time minus the warm render pass)',
      reached: fixed ? `${fixed.percent}% (${fixed.serviceMs} ms of ${fixed.cliMs} ms)` : 'n/a',
      met: fixed ? fixed.percent <= 10 : 'n/a',
    });
    checks.push({ target: 'service overhead ≤ 150 ms (tiny.py, low)', reached: `${Math.round(overhead)} ms`, met: overhead <= 150 });
  }
  const lows = results.filter((r) => r.quality === 'low');
  if (lows.length) {
    const worst = Math.max(...lows.map((r) => median(r.service.map((s) => s.overheadMs))));
    checks.push({ target: 'service overhead ≤ 150 ms (every scene, low)', reached: `worst median ${Math.round(worst)} ms`, met: worst <= 150 });
  }
  return checks;
}

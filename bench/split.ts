import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { cliRender, SCENES_DIR } from './support/cli-render';
import { waitForQuiet } from './support/proc-tree';
import { log, table, type BenchResult, type TargetCheck } from './support/report';
import { settings } from './support/settings';
import { median, ratio, seconds, summarize } from './support/stats';
import { concat, frameHashes, sameFrames } from './split/ffmpeg';
import { loadPartition, type AnimationRange } from './support/stack-helpers';
import { WarmProcess, type PartJob } from './support/warm-process';
import { ServiceProcess } from './support/service-process';
import { timedRender } from './support/timed-render';

/**
 * Split rendering of long_timeline.py (low quality): one scene rendered as K animation ranges in parallel, the
 * parts joined losslessly and checked frame-identical to the whole render with `ffmpeg -f framemd5`.
 *
 * Measured here with K = 2 (this machine has 2 cores), three ways, interleaved:
 * - service: the built service end to end (submit → video ready), splitting off vs on (two renders at once, K=2),
 *   the joined video downloaded and compared with the whole one;
 * - cold: `manim render -ql` vs two `manim render -ql -n a,b` processes in parallel, then the join;
 * - warm, as the service's workers would: the worker's own code (python/manim_worker/render.py) in processes
 *   started ahead, whole = plan pass + render pass; split = plan pass, then the 2 ranges in parallel, then the join.
 * Modelled for K = 2..8 (one machine per part, as Cloud Run instances would be): each part rendered alone on a
 * warm process and timed, critical path = plan + dispatch + longest part + join.
 */

const SCENE = 'LongTimeline';
const FILE = path.join(SCENES_DIR, 'long_timeline.py');
const DEFAULT_DISPATCH_MS = 150;
const partition = loadPartition();

function leastSquares(points: ReadonlyArray<readonly [number, number]>): { intercept: number; slope: number } | undefined {
  if (points.length < 3) return undefined;
  const n = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  const sxx = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  if (sxx === 0) return undefined;
  const slope = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0) / sxx;
  return { intercept: my - slope * mx, slope };
}

function tmpFile(name: string): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'manim-split-join-')), name);
}

async function startWarm(count: number): Promise<WarmProcess[]> {
  const processes = Array.from({ length: count }, () => new WarmProcess());
  await Promise.all(processes.map((p) => p.ready));
  // Imported and idle: nothing of ours competes with the timed work.
  await waitForQuiet(process.pid);
  return processes;
}

function rangeJob(code: string, range: AnimationRange): PartJob {
  return { code, scene: SCENE, quality: 'low', plan: false, render: true, from: range.from, upto: range.upto };
}

interface Comparison {
  whole: number[];
  split: number[];
  identical: boolean[];
}

interface ModelK {
  k: number;
  ranges: AnimationRange[];
  /** Per part: wall and CPU seconds of each repetition. */
  partsWall: number[][];
  partsCpu: number[][];
  stitchMs: number[];
  identical: boolean;
  frames: number;
}

export async function split(options: { dispatchMs?: number }): Promise<BenchResult> {
  const code = fs.readFileSync(FILE, 'utf8');
  const dispatchMs = options.dispatchMs ?? DEFAULT_DISPATCH_MS;
  const dispatchSource = options.dispatchMs !== undefined ? 'the service overhead measured for tiny.py in this run' : `a default of ${DEFAULT_DISPATCH_MS} ms`;
  const cleanup: string[] = [];
  const service: Comparison = { whole: [], split: [], identical: [] };
  const cold: Comparison = { whole: [], split: [], identical: [] };
  const warm: Comparison = { whole: [], split: [], identical: [] };
  const planSeconds: number[] = [];
  const planCpu: number[] = [];
  const wholeCpu: number[] = [];
  let durations: number[] = [];
  const model: ModelK[] = [];

  try {
    const [planner] = await startWarm(1);
    const planned = await planner!.run({ code, scene: SCENE, quality: 'low', plan: true, render: false });
    planner!.dispose();
    durations = planned.durations ?? [];
    planSeconds.push(planned.wallMs / 1000);
    planCpu.push(planned.cpuSeconds);
    const two = partition(durations, 2);
    log(`split: ${durations.length} animations, ${durations.reduce((a, b) => a + b, 0).toFixed(1)} s of video; K=2 ranges ${two.map((r) => `${r.from}-${r.upto}`).join(', ')}`);

    const common = { RESULT_CACHE: 'false', RENDER_CONCURRENCY: '2', QUOTA_SUBMITS_PER_MINUTE: '100000' };
    const [wholeService, splitService] = await Promise.all([
      ServiceProcess.start({ ...common, SPLIT_MAX_PARTS: '1' }, { readLogs: false }),
      ServiceProcess.start({ ...common, SPLIT_MAX_PARTS: '2', SPLIT_MIN_SCENE_SECONDS: '0' }, { readLogs: false }),
    ]);
    cleanup.push(wholeService.dataDir, splitService.dataDir);
    const stopServices = () => Promise.all([wholeService.stop(), splitService.stop()]);
    let serviceReference: string[] | undefined;
    const serviceRender = async (target: ServiceProcess): Promise<{ seconds: number; frames: string[] }> => {
      await waitForQuiet(process.pid);
      const run = await timedRender(target, { code, scenes: [SCENE], quality: 'low' });
      const scene = run.job.scenes[0];
      if (run.job.status !== 'succeeded' || !scene?.output) throw new Error(`service render failed: ${JSON.stringify(run.job)}`);
      const file = tmpFile('service.mp4');
      cleanup.push(path.dirname(file));
      const res = await target.request('GET', new URL(scene.output.url, target.url).pathname);
      fs.writeFileSync(file, Buffer.from(await res.arrayBuffer()));
      return { seconds: run.endToEndMs / 1000, frames: await frameHashes(file) };
    };

    let coldReference: string | undefined;
    let warmReference: string | undefined;
    const variants: Record<string, () => Promise<void>> = {
      serviceWhole: async () => {
        const run = await serviceRender(wholeService);
        serviceReference ??= run.frames;
        service.whole.push(run.seconds);
      },
      serviceSplit: async () => {
        const run = await serviceRender(splitService);
        service.split.push(run.seconds);
        if (serviceReference) service.identical.push(run.frames.length === serviceReference.length && run.frames.every((h, i) => h === serviceReference![i]));
      },
      coldWhole: async () => {
        await waitForQuiet(process.pid);
        const run = await cliRender({ file: FILE, scene: SCENE, quality: 'low', keep: true });
        cleanup.push(run.workDir);
        coldReference ??= run.file;
        cold.whole.push(run.seconds);
      },
      coldSplit: async () => {
        await waitForQuiet(process.pid);
        const t0 = performance.now();
        const parts = await Promise.all(
          two.map((r) => cliRender({ file: FILE, scene: SCENE, quality: 'low', keep: true, extraArgs: ['-n', `${r.from},${r.upto}`] })),
        );
        const joined = tmpFile('joined.mp4');
        await concat(parts.map((p) => p.file), joined);
        cold.split.push((performance.now() - t0) / 1000);
        cleanup.push(...parts.map((p) => p.workDir), path.dirname(joined));
        if (coldReference) cold.identical.push((await sameFrames(coldReference, joined)).identical);
      },
      warmWhole: async () => {
        const [worker] = await startWarm(1);
        const run = await worker!.run({ code, scene: SCENE, quality: 'low', plan: true, render: true });
        warm.whole.push(run.wallMs / 1000);
        wholeCpu.push(run.cpuSeconds);
        planSeconds.push(run.planSeconds ?? Number.NaN);
        planCpu.push(run.planCpuSeconds ?? Number.NaN);
        if (!warmReference) {
          warmReference = tmpFile('whole.mp4');
          fs.copyFileSync(run.file!, warmReference);
          cleanup.push(path.dirname(warmReference));
        }
        worker!.dispose();
      },
      warmSplit: async () => {
        const workers = await startWarm(3);
        const t0 = performance.now();
        const plan = await workers[0]!.run({ code, scene: SCENE, quality: 'low', plan: true, render: false });
        const ranges = partition(plan.durations ?? [], 2);
        const parts = await Promise.all(ranges.map((r, i) => workers[i + 1]!.run(rangeJob(code, r))));
        const joined = tmpFile('joined.mp4');
        await concat(parts.map((p) => p.file!), joined);
        warm.split.push((performance.now() - t0) / 1000);
        cleanup.push(path.dirname(joined));
        if (warmReference) warm.identical.push((await sameFrames(warmReference, joined)).identical);
        for (const w of workers) w.dispose();
      },
    };
    const order = ['serviceWhole', 'coldWhole', 'warmWhole', 'serviceSplit', 'coldSplit', 'warmSplit'];
    for (let rep = 0; rep < settings.reps; rep++) {
      // Rotate the order so that no variant always runs first (or last) in a repetition.
      const rotated = [...order.slice(rep % order.length), ...order.slice(0, rep % order.length)];
      // The references (a whole render of each kind) must exist before the first split is checked against them.
      if (rep === 0) rotated.sort((a, b) => Number(a.endsWith('Split')) - Number(b.endsWith('Split')));
      for (const name of rotated) await variants[name]!();
      log(`split rep ${rep + 1}: service ${service.whole.at(-1)?.toFixed(2)} → ${service.split.at(-1)?.toFixed(2)} s, cold ${cold.whole.at(-1)?.toFixed(2)} → ${cold.split.at(-1)?.toFixed(2)} s, warm ${warm.whole.at(-1)?.toFixed(2)} → ${warm.split.at(-1)?.toFixed(2)} s`);
    }
    await stopServices();

    for (let k = 2; k <= Math.min(settings.splitMaxK, durations.length); k++) {
      const ranges = partition(durations, k);
      const entry: ModelK = { k, ranges, partsWall: ranges.map(() => []), partsCpu: ranges.map(() => []), stitchMs: [], identical: true, frames: 0 };
      for (let rep = 0; rep < settings.splitModelReps; rep++) {
        const workers = await startWarm(k);
        const files: string[] = [];
        for (const [i, range] of ranges.entries()) {
          const run = await workers[i]!.run(rangeJob(code, range));
          entry.partsWall[i]!.push(run.wallMs / 1000);
          entry.partsCpu[i]!.push(run.cpuSeconds);
          files.push(run.file!);
        }
        const joined = tmpFile('joined.mp4');
        cleanup.push(path.dirname(joined));
        entry.stitchMs.push(await concat(files, joined));
        const check = warmReference ? await sameFrames(warmReference, joined) : { identical: false, frames: [0, 0] as [number, number] };
        entry.identical &&= check.identical;
        entry.frames = check.frames[1];
        for (const w of workers) w.dispose();
      }
      model.push(entry);
      log(`split model K=${k}: longest part ${Math.max(...entry.partsWall.map(median)).toFixed(2)} s wall, ${Math.max(...entry.partsCpu.map(median)).toFixed(2)} s CPU; join ${median(entry.stitchMs).toFixed(0)} ms; frames ${entry.identical ? 'identical' : 'DIFFER'}`);
    }
  } finally {
    for (const dir of cleanup) fs.rmSync(dir, { recursive: true, force: true });
  }

  const plan = median(planSeconds.filter(Number.isFinite));
  const planCpuMedian = median(planCpu.filter(Number.isFinite));
  const wholeWarm = median(warm.whole);
  const wholeWarmCpu = median(wholeCpu);
  const dispatch = dispatchMs / 1000;
  const modelRows = model.map((m) => {
    const longest = Math.max(...m.partsWall.map(median));
    const longestCpu = Math.max(...m.partsCpu.map(median));
    const stitch = median(m.stitchMs) / 1000;
    const critical = plan + dispatch + longest + stitch;
    const criticalCpu = planCpuMedian + dispatch + longestCpu + stitch;
    return {
      ...m,
      longest,
      longestCpu,
      stitch,
      critical,
      criticalCpu,
      speedup: wholeWarm / critical,
      speedupCpu: wholeWarmCpu / criticalCpu,
      sum: m.partsWall.map(median).reduce((a, b) => a + b, 0),
    };
  });
  // Where the model loses against K: each part pays a fixed cost (scene set-up, replaying the animations before
  // its range without frames, its own movie file) besides its share of frames. A least-squares line through
  // every part's CPU time against the seconds of video it renders separates the two.
  const points = model.flatMap((m) => m.ranges.map((r, i) => [r.seconds, median(m.partsCpu[i]!)] as const));
  const fit = leastSquares(points);
  const totalVideo = durations.reduce((a, b) => a + b, 0);
  const lastK = modelRows.at(-1);
  const serial = planCpuMedian + dispatch + (lastK?.stitch ?? 0);
  const measuredRow = (label: string, c: Comparison) => {
    const w = summarize(c.whole);
    const s = summarize(c.split);
    return [label, String(c.whole.length), seconds(w), seconds(s), ratio(w.median / s.median), c.identical.length ? `${c.identical.filter(Boolean).length}/${c.identical.length}` : 'n/a'];
  };
  const markdown = [
    `### Split rendering of long_timeline.py (low quality, ${durations.length} animations, ${durations.reduce((a, b) => a + b, 0).toFixed(1)} s of video)`,
    '',
    'Measured, K = 2 on this 2-core machine: the service end to end with splitting off and on (plan, two parts rendered at once, boundaries compared, join in a worker); and the same model outside the service (whole render vs two animation ranges rendered in parallel and joined with `ffmpeg -f concat -c copy`):',
    '',
    table(
      ['variant', 'n', 'whole', 'split K=2, end to end', 'speed-up', 'frame-identical (framemd5)'],
      [
        measuredRow('service: submit → video ready, `SPLIT_MAX_PARTS=1` vs `2`', service),
        measuredRow('cold: `manim render -ql` vs 2× `manim render -ql -n a,b`', cold),
        measuredRow('warm: worker code, plan + render vs plan, then 2 ranges', warm),
      ],
    ),
    '',
    `**Model** (not a measurement of the service): each range rendered alone on a warm process (parts measured one at a time, ${settings.splitModelReps} run(s) each, medians), assuming one machine per part. Critical path = plan pass + dispatch (${Math.round(dispatchMs)} ms: ${dispatchSource}) + longest part + join (measured). Wall: as timed here, one part at a time on this 2-core machine; CPU: the same with each part's and the plan's CPU time instead, i.e. what a part would take on one core of its own. Neither is exact: wall times include waiting for a core when the machine is busy, and the encoder runs threads of its own when a second core is free (so CPU time can exceed wall time). Whole render for the speed-up: ${wholeWarm.toFixed(2)} s wall, ${wholeWarmCpu.toFixed(2)} s CPU (warm, plan + render, so it used ${(wholeWarmCpu / wholeWarm).toFixed(2)} cores on average); plan pass ${plan.toFixed(2)} s wall, ${planCpuMedian.toFixed(2)} s CPU.`,
    '',
    ...(fit
      ? [
          `A line through all ${points.length} parts: CPU ≈ ${fit.intercept >= 0 ? '' : '−'}${Math.abs(fit.intercept).toFixed(2)} s + ${fit.slope.toFixed(3)} s per second of video in the range (the whole render pass: ${((wholeWarmCpu - planCpuMedian) / totalVideo).toFixed(3)} s per second). The intercept is what a part costs besides its frames (scene set-up, replaying the earlier animations without frames, its own movie file). The serial steps alone — plan pass, dispatch, join (${serial.toFixed(2)} s at K=8, CPU model) — would cap the speed-up at ${ratio(wholeWarmCpu / serial)} even if the parts took no time; and a range cannot be cut inside one animation (the longest here is ${Math.max(...durations).toFixed(1)} s of video).`,
          '',
        ]
      : []),
    table(
      ['K', 'ranges (animations: video s)', 'longest part wall / CPU', 'Σ parts wall', 'join', 'critical path wall', 'speed-up wall', 'critical path CPU', 'speed-up CPU', 'target 0.7·K', 'frames identical'],
      modelRows.map((m) => [
        String(m.k),
        m.ranges.map((r) => `${r.from}–${r.upto}: ${r.seconds.toFixed(1)}`).join('; '),
        `${m.longest.toFixed(2)} / ${m.longestCpu.toFixed(2)} s`,
        `${m.sum.toFixed(2)} s`,
        `${Math.round(m.stitch * 1000)} ms`,
        `${m.critical.toFixed(2)} s`,
        ratio(m.speedup),
        `${m.criticalCpu.toFixed(2)} s`,
        ratio(m.speedupCpu),
        ratio(0.7 * m.k, 1),
        m.identical ? `yes (${m.frames})` : '**no**',
      ]),
    ),
  ].join('\n');

  const warmSpeedup = median(warm.whole) / median(warm.split);
  const coldSpeedup = median(cold.whole) / median(cold.split);
  const serviceSpeedup = median(service.whole) / median(service.split);
  const missed = modelRows.filter((m) => m.speedupCpu < 0.7 * m.k || m.speedup < 0.7 * m.k);
  const targets: TargetCheck[] = [
    {
      target: 'split long_timeline.py ≥ 1.3× faster with K=2, measured here',
      reached: `service ${ratio(serviceSpeedup)}, warm worker code ${ratio(warmSpeedup)}, cold ${ratio(coldSpeedup)}`,
      met: serviceSpeedup >= 1.3,
    },
    {
      target: 'modelled split ≥ 0.7·K× for K ≤ 8 (met when both the CPU-time model and, in brackets, the wall-time model reach it)',
      reached: modelRows.map((m) => `K=${m.k}: ${ratio(m.speedupCpu)} (${ratio(m.speedup)})`).join(', '),
      met: modelRows.length > 0 && missed.length === 0,
    },
  ];
  return {
    name: 'split',
    title: 'Split rendering (measured at K=2, modelled to K=8)',
    markdown,
    data: { durations, planSeconds, planCpu, wholeCpu, dispatchMs, dispatchSource, service, cold, warm, model: modelRows, partCpuFit: fit },
    targets,
  };
}

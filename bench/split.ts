import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { cliRender, SCENES_DIR } from './support/cli-render';
import { waitForQuiet } from './support/proc-tree';
import { log, table, type BenchResult, type TargetCheck } from './support/report';
import { settings } from './support/settings';
import { median, ratio, seconds, summarize } from './support/stats';
import { concat, frameHashes, sameFrames } from './split/ffmpeg';
import { addWholeRun, measureWhole, meetsTarget, modelMarkdown, modelReached, modelSplit, rangeJob, startWarm, tmpFile, type SplitModel, type WholeBaseline } from './split/model';
import { loadPartition } from './support/stack-helpers';
import { ServiceProcess } from './support/service-process';
import { timedRender } from './support/timed-render';

/**
 * Split rendering of long_timeline.py: one scene rendered as K animation ranges in parallel, the
 * parts joined losslessly and checked frame-identical to the whole render with `ffmpeg -f framemd5`.
 *
 * Measured here with K = 2 (this machine has 2 cores), three ways, interleaved:
 * - service: the built service end to end (submit → video ready), splitting off vs on (two renders at once, K=2),
 *   the joined video downloaded and compared with the whole one;
 * - cold: `manim render -ql` vs two `manim render -ql -n a,b` processes in parallel, then the join;
 * - warm, as the service's workers would: the worker's own code (python/manim_worker/render.py) in processes
 *   started ahead, whole = plan pass + render pass; split = plan pass, then the 2 ranges in parallel, then the join.
 * Modelled for K = 2..8 at low and high quality (split/model.ts).
 */

const SCENE = 'LongTimeline';
const FILE = path.join(SCENES_DIR, 'long_timeline.py');
const DEFAULT_DISPATCH_MS = 150;
const partition = loadPartition();

interface Comparison {
  whole: number[];
  split: number[];
  identical: boolean[];
}

export async function split(options: { dispatchMs?: number }): Promise<BenchResult> {
  const code = fs.readFileSync(FILE, 'utf8');
  const dispatchMs = options.dispatchMs ?? DEFAULT_DISPATCH_MS;
  const dispatchSource = options.dispatchMs !== undefined ? 'the service overhead measured for tiny.py in this run' : `a default of ${DEFAULT_DISPATCH_MS} ms`;
  const cleanup: string[] = [];
  const service: Comparison = { whole: [], split: [], identical: [] };
  const cold: Comparison = { whole: [], split: [], identical: [] };
  const warm: Comparison = { whole: [], split: [], identical: [] };
  // The warm whole renders double as the low-quality model's baseline.
  const lowBaseline: WholeBaseline = { wall: warm.whole, cpu: [], planWall: [], planCpu: [], reference: '' };
  let durations: number[] = [];
  const models: SplitModel[] = [];

  try {
    const [planner] = await startWarm(1);
    const planned = await planner!.run({ code, scene: SCENE, quality: 'low', plan: true, render: false });
    planner!.dispose();
    durations = planned.durations ?? [];
    lowBaseline.planWall.push(planned.wallMs / 1000);
    lowBaseline.planCpu.push(planned.cpuSeconds);
    const two = partition(durations, 2);
    log(`split: ${durations.length} animations, ${durations.reduce((a, b) => a + b, 0).toFixed(1)} s of video; K=2 ranges ${two.map((r) => `${r.from}-${r.upto}`).join(', ')}`);

    const common = { RESULT_CACHE: 'false', RENDER_CONCURRENCY: '2', QUOTA_SUBMITS_PER_MINUTE: '100000' };
    const [wholeService, splitService] = await Promise.all([
      ServiceProcess.start({ ...common, SPLIT_MAX_PARTS: '1' }, { readLogs: false }),
      ServiceProcess.start({ ...common, SPLIT_MAX_PARTS: '2', SPLIT_MIN_SCENE_SECONDS: '0' }, { readLogs: false }),
    ]);
    cleanup.push(wholeService.dataDir, splitService.dataDir);
    const stopServices = () => Promise.all([wholeService.stop(), splitService.stop()]);
    // One unmeasured render each first (as the fixed-cost benchmark does): a service's first render also pays for
    // what its start left unfinished (spares, the glyph cache), which is not what is compared here.
    for (const target of [wholeService, splitService]) await timedRender(target, { code: `${code}\n# warm-up\n`, scenes: [SCENE], quality: 'low' });
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
      warmWhole: () => addWholeRun(lowBaseline, { code, scene: SCENE, quality: 'low', cleanup }),
      warmSplit: async () => {
        const workers = await startWarm(3);
        const t0 = performance.now();
        const plan = await workers[0]!.run({ code, scene: SCENE, quality: 'low', plan: true, render: false });
        const ranges = partition(plan.durations ?? [], 2);
        const parts = await Promise.all(ranges.map((r, i) => workers[i + 1]!.run(rangeJob({ code, scene: SCENE, quality: 'low' }, r))));
        const joined = tmpFile('joined.mp4');
        await concat(parts.map((p) => p.file!), joined);
        warm.split.push((performance.now() - t0) / 1000);
        cleanup.push(path.dirname(joined));
        if (lowBaseline.reference) warm.identical.push((await sameFrames(lowBaseline.reference, joined)).identical);
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

    const scene = { code, scene: SCENE, durations, dispatchMs, cleanup };
    for (const quality of settings.splitModelQualities) {
      // At low quality the warm whole renders above are the baseline; at high quality they are measured here.
      const baseline = quality === 'low' ? lowBaseline : await measureWhole({ ...scene, quality, reps: Math.max(1, settings.highReps) });
      models.push(await modelSplit({ ...scene, quality, baseline }));
    }
  } finally {
    for (const dir of cleanup) fs.rmSync(dir, { recursive: true, force: true });
  }

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
    ...models.flatMap((model) => ['', modelMarkdown(model, dispatchSource)]),
  ].join('\n');

  const warmSpeedup = median(warm.whole) / median(warm.split);
  const coldSpeedup = median(cold.whole) / median(cold.split);
  const serviceSpeedup = median(service.whole) / median(service.split);
  const targets: TargetCheck[] = [
    {
      target: 'split long_timeline.py ≥ 1.3× faster with K=2, measured here',
      reached: `service ${ratio(serviceSpeedup)}, warm worker code ${ratio(warmSpeedup)}, cold ${ratio(coldSpeedup)}`,
      met: serviceSpeedup >= 1.3,
    },
    ...models.map((model) => ({
      target: `modelled split ≥ 0.7·K× for K ≤ ${settings.splitMaxK}, ${model.quality} quality (met when both the CPU-time model and, in brackets, the wall-time model reach it)`,
      reached: modelReached(model),
      met: meetsTarget(model),
    })),
  ];
  return {
    name: 'split',
    title: 'Split rendering (measured at K=2, modelled to K=8)',
    markdown,
    data: { durations, dispatchMs, dispatchSource, service, cold, warm, models },
    targets,
  };
}

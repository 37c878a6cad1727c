import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { log, table } from '../support/report';
import { settings } from '../support/settings';
import { median, ratio } from '../support/stats';
import { loadPartition, type AnimationRange } from '../support/stack-helpers';
import { waitForQuiet } from '../support/proc-tree';
import { WarmProcess, type PartJob } from '../support/warm-process';
import { concat, sameFrames } from './ffmpeg';

/**
 * The split model for K = 2..8 at one quality (one machine per part, as Cloud Run instances would be): each range
 * rendered alone on a warm process and timed, critical path = plan + dispatch + longest part + join. The parts are
 * joined and checked frame-identical to the whole render.
 */

type Quality = PartJob['quality'];

const partition = loadPartition();

/** The whole render the model is set against: warm worker code, plan + render pass. */
export interface WholeBaseline {
  wall: number[];
  cpu: number[];
  planWall: number[];
  planCpu: number[];
  /** The whole render's movie, the frames every join must decode to. */
  reference: string;
}

export interface ModelRow {
  k: number;
  ranges: AnimationRange[];
  /** Per part: wall and CPU seconds of each repetition. */
  partsWall: number[][];
  partsCpu: number[][];
  stitchMs: number[];
  identical: boolean;
  frames: number;
  longest: number;
  longestCpu: number;
  stitch: number;
  critical: number;
  criticalCpu: number;
  speedup: number;
  speedupCpu: number;
  sum: number;
}

export interface SplitModel {
  quality: Quality;
  durations: number[];
  dispatchMs: number;
  whole: { wall: number; cpu: number; planWall: number; planCpu: number };
  rows: ModelRow[];
  /** CPU of a part against the seconds of video in its range, fitted over every part. */
  partCpuFit?: { intercept: number; slope: number };
}

export function tmpFile(name: string): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'manim-split-join-')), name);
}

export async function startWarm(count: number): Promise<WarmProcess[]> {
  const processes = Array.from({ length: count }, () => new WarmProcess());
  await Promise.all(processes.map((p) => p.ready));
  // Imported and idle: nothing of ours competes with the timed work.
  await waitForQuiet(process.pid);
  return processes;
}

export function rangeJob(params: { code: string; scene: string; quality: Quality }, range: AnimationRange): PartJob {
  return { ...params, plan: false, render: true, from: range.from, upto: range.upto };
}

/** Renders the scene whole once on a warm process (plan + render), adding the run to `baseline`. */
export async function addWholeRun(baseline: WholeBaseline, params: { code: string; scene: string; quality: Quality; cleanup: string[] }): Promise<void> {
  const [worker] = await startWarm(1);
  const run = await worker!.run({ code: params.code, scene: params.scene, quality: params.quality, plan: true, render: true });
  baseline.wall.push(run.wallMs / 1000);
  baseline.cpu.push(run.cpuSeconds);
  baseline.planWall.push(run.planSeconds ?? Number.NaN);
  baseline.planCpu.push(run.planCpuSeconds ?? Number.NaN);
  if (!baseline.reference) {
    baseline.reference = tmpFile('whole.mp4');
    fs.copyFileSync(run.file!, baseline.reference);
    params.cleanup.push(path.dirname(baseline.reference));
  }
  worker!.dispose();
}

/** The whole render, `reps` times: the model's baseline and reference. */
export async function measureWhole(params: { code: string; scene: string; quality: Quality; reps: number; cleanup: string[] }): Promise<WholeBaseline> {
  const baseline: WholeBaseline = { wall: [], cpu: [], planWall: [], planCpu: [], reference: '' };
  for (let rep = 0; rep < params.reps; rep++) await addWholeRun(baseline, params);
  return baseline;
}

export async function modelSplit(params: {
  code: string;
  scene: string;
  quality: Quality;
  durations: number[];
  dispatchMs: number;
  baseline: WholeBaseline;
  cleanup: string[];
}): Promise<SplitModel> {
  const { durations, baseline } = params;
  const measured: Array<Pick<ModelRow, 'k' | 'ranges' | 'partsWall' | 'partsCpu' | 'stitchMs' | 'identical' | 'frames'>> = [];
  for (let k = 2; k <= Math.min(settings.splitMaxK, durations.length); k++) {
    const ranges = partition(durations, k);
    const entry = { k, ranges, partsWall: ranges.map((): number[] => []), partsCpu: ranges.map((): number[] => []), stitchMs: [] as number[], identical: true, frames: 0 };
    for (let rep = 0; rep < settings.splitModelReps; rep++) {
      const workers = await startWarm(k);
      const files: string[] = [];
      for (const [i, range] of ranges.entries()) {
        const run = await workers[i]!.run(rangeJob(params, range));
        entry.partsWall[i]!.push(run.wallMs / 1000);
        entry.partsCpu[i]!.push(run.cpuSeconds);
        files.push(run.file!);
      }
      const joined = tmpFile('joined.mp4');
      params.cleanup.push(path.dirname(joined));
      entry.stitchMs.push(await concat(files, joined));
      const check = await sameFrames(baseline.reference, joined);
      entry.identical &&= check.identical;
      entry.frames = check.frames[1];
      for (const w of workers) w.dispose();
    }
    measured.push(entry);
    log(
      `split model (${params.quality}) K=${k}: longest part ${Math.max(...entry.partsWall.map(median)).toFixed(2)} s wall, ${Math.max(...entry.partsCpu.map(median)).toFixed(2)} s CPU; join ${median(entry.stitchMs).toFixed(0)} ms; frames ${entry.identical ? 'identical' : 'DIFFER'}`,
    );
  }

  const whole = {
    wall: median(baseline.wall),
    cpu: median(baseline.cpu),
    planWall: median(baseline.planWall.filter(Number.isFinite)),
    planCpu: median(baseline.planCpu.filter(Number.isFinite)),
  };
  const dispatch = params.dispatchMs / 1000;
  const rows = measured.map((m): ModelRow => {
    const longest = Math.max(...m.partsWall.map(median));
    const longestCpu = Math.max(...m.partsCpu.map(median));
    const stitch = median(m.stitchMs) / 1000;
    const critical = whole.planWall + dispatch + longest + stitch;
    const criticalCpu = whole.planCpu + dispatch + longestCpu + stitch;
    return {
      ...m,
      longest,
      longestCpu,
      stitch,
      critical,
      criticalCpu,
      speedup: whole.wall / critical,
      speedupCpu: whole.cpu / criticalCpu,
      sum: m.partsWall.map(median).reduce((a, b) => a + b, 0),
    };
  });
  // Where the model loses against K: each part pays a fixed cost (scene set-up, replaying the animations before
  // its range without frames, its own movie file) besides its share of frames. A least-squares line through
  // every part's CPU time against the seconds of video it renders separates the two.
  const partCpuFit = leastSquares(rows.flatMap((m) => m.ranges.map((r, i) => [r.seconds, median(m.partsCpu[i]!)] as const)));
  return { quality: params.quality, durations, dispatchMs: params.dispatchMs, whole, rows, ...(partCpuFit && { partCpuFit }) };
}

/** Whether every K reaches 0.7·K, by both the CPU-time and the wall-time model. */
export function meetsTarget(model: SplitModel): boolean {
  return model.rows.length > 0 && model.rows.every((m) => m.speedupCpu >= 0.7 * m.k && m.speedup >= 0.7 * m.k);
}

export function modelReached(model: SplitModel): string {
  return model.rows.map((m) => `K=${m.k}: ${ratio(m.speedupCpu)} (${ratio(m.speedup)})`).join(', ');
}

export function modelMarkdown(model: SplitModel, dispatchSource: string): string {
  const { whole, rows, partCpuFit: fit, durations } = model;
  const totalVideo = durations.reduce((a, b) => a + b, 0);
  const partCount = rows.reduce((n, m) => n + m.ranges.length, 0);
  const serial = whole.planCpu + model.dispatchMs / 1000 + (rows.at(-1)?.stitch ?? 0);
  return [
    `**Model at ${model.quality} quality** (not a measurement of the service): each range rendered alone on a warm process (parts measured one at a time, ${settings.splitModelReps} run(s) each, medians), assuming one machine per part. Critical path = plan pass + dispatch (${Math.round(model.dispatchMs)} ms: ${dispatchSource}) + longest part + join (measured). Wall: as timed here, one part at a time on this 2-core machine; CPU: the same with each part's and the plan's CPU time instead, i.e. what a part would take on one core of its own. Neither is exact: wall times include waiting for a core when the machine is busy, and the encoder runs threads of its own when a second core is free (so CPU time can exceed wall time). Whole render for the speed-up: ${whole.wall.toFixed(2)} s wall, ${whole.cpu.toFixed(2)} s CPU (warm, plan + render, so it used ${(whole.cpu / whole.wall).toFixed(2)} cores on average); plan pass ${whole.planWall.toFixed(2)} s wall, ${whole.planCpu.toFixed(2)} s CPU.`,
    '',
    ...(fit
      ? [
          `A line through all ${partCount} parts: CPU ≈ ${fit.intercept >= 0 ? '' : '−'}${Math.abs(fit.intercept).toFixed(2)} s + ${fit.slope.toFixed(3)} s per second of video in the range (the whole render pass: ${((whole.cpu - whole.planCpu) / totalVideo).toFixed(3)} s per second). The intercept is what a part costs besides its frames (scene set-up, replaying the earlier animations without frames, its own movie file). The serial steps alone — plan pass, dispatch, join (${serial.toFixed(2)} s at K=${rows.at(-1)?.k}, CPU model) — would cap the speed-up at ${ratio(whole.cpu / serial)} even if the parts took no time; and a range cannot be cut inside one animation (the longest here is ${Math.max(...durations).toFixed(1)} s of video).`,
          '',
        ]
      : []),
    table(
      ['K', 'ranges (animations: video s)', 'longest part wall / CPU', 'Σ parts wall', 'join', 'critical path wall', 'speed-up wall', 'critical path CPU', 'speed-up CPU', 'target 0.7·K', 'frames identical'],
      rows.map((m) => [
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
}

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

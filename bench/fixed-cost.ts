import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { cliRender, SCENES_DIR, type Quality } from './support/cli-render';
import { cpuMsOfTree, TreeSampler, waitForQuiet } from './support/proc-tree';
import { log, type BenchResult } from './support/report';
import { render, targets, type CaseResult, type FixedCostData, type ServiceRun } from './fixed-cost-report';
import { ServiceProcess } from './support/service-process';
import { settings } from './support/settings';
import { median } from './support/stats';
import { timedRender } from './support/timed-render';
import { WarmProcess } from './support/warm-process';

/**
 * Fixed cost, service overhead and renderer memory, measured side by side in one run:
 * - the service end to end (submit → a GET polled every 20 ms shows `succeeded`), on the built service in local
 *   mode with its defaults (warm worker, bubblewrap sandbox, result cache on: each submit differs by a comment, so
 *   each is a cache miss that renders);
 * - `python -m manim render -q<q>` on the same file in a fresh directory (the CLI baseline);
 * interleaved per repetition in an order that rotates, each started once our own processes are quiet.
 * Overhead is end to end minus `renderSeconds` from the renderer's 'render outcome' log line (worker taken →
 * worker's result: plan pass and render pass, sandbox included).
 * At low quality a third run measures the render work itself: the worker's render pass alone, on a process
 * that imported Manim beforehand (bench/support/warm_render.py). Each path's fixed cost is its time minus that.
 */

export const CASES = [
  { file: 'tiny.py', scene: 'TinyCircle' },
  { file: 'text_transform.py', scene: 'TitleSwap' },
  { file: 'tex_equation.py', scene: 'EulerSteps' },
  { file: 'long_timeline.py', scene: 'LongTimeline' },
  // Numbers: one TeX glyph per character, which the service compiles once at start (GLYPH_CACHE).
  { file: 'counter.py', scene: 'Counter' },
];

let submits = 0;

async function serviceRun(service: ServiceProcess, code: string, scene: string, quality: Quality): Promise<ServiceRun> {
  // The worker that takes the job is the spare already waiting; the spare started in its place is not counted.
  const waiting = service.workerRoots();
  let taken: number[] | undefined = waiting.length ? waiting : undefined;
  const sampler = new TreeSampler(() => {
    if (!taken) {
      const now = service.workerRoots();
      if (now.length) taken = now.slice(0, 1);
    }
    return taken ?? [];
  });
  // A new comment each time: the same render, but never a result-cache hit (those are measured in cache-hit.ts).
  const run = await timedRender(service, { code: `${code}\n# bench submit ${submits++}\n`, quality, timeoutSeconds: 900 });
  const memory = sampler.stop();
  const spareCpuMs = service
    .workerRoots()
    .filter((pid) => !taken?.includes(pid))
    .reduce((sum, pid) => sum + cpuMsOfTree(pid), 0);
  const sceneView = run.job.scenes[0]!;
  if (run.job.status !== 'succeeded') throw new Error(`${scene}: ${run.job.status} ${JSON.stringify(sceneView.error)}`);
  const outcome = await service.outcomeOf(run.job.id, scene);
  if (!outcome) throw new Error(`${scene}: no 'render outcome' log line for job ${run.job.id} (seen: ${service.outcomeIds().join(', ')})`);
  const created = Date.parse(run.job.createdAt);
  const started = Date.parse(sceneView.startedAt!);
  const finished = Date.parse(sceneView.finishedAt!);
  const renderMs = outcome.renderSeconds * 1000;
  return {
    endToEndMs: run.endToEndMs,
    submitMs: run.submitMs,
    renderSeconds: outcome.renderSeconds,
    overheadMs: run.endToEndMs - renderMs,
    queueWaitMs: started - created,
    afterRenderMs: finished - started - renderMs,
    observeLagMs: run.seenAt - finished,
    spareCpuMs,
    memory,
  };
}

/** Our own processes (the service's tree and the benchmark's) idle: spare workers imported, nothing left running. */
async function quiet(service: ServiceProcess): Promise<void> {
  await waitForQuiet(service.pid);
  await waitForQuiet(process.pid);
}

export async function fixedCost(): Promise<BenchResult & { data: FixedCostData }> {
  const cases = CASES.filter((c) => !settings.scenes || settings.scenes.includes(c.file));
  const plan: Array<{ quality: Quality; reps: number }> = [
    { quality: 'low', reps: settings.reps },
    { quality: 'high', reps: settings.highReps },
  ];
  const service = await ServiceProcess.start({
    QUOTA_SUBMITS_PER_MINUTE: '1000000',
    QUOTA_ACTIVE_SCENES: '100000',
    MAX_TIMEOUT_SECONDS: '900',
    // Every repetition compiles its formulas, as the CLI does in its fresh media directory: reusing a principal's
    // formulas is a saving of its own, not part of the fixed cost.
    TEX_CACHE: 'false',
  });
  const results: CaseResult[] = [];
  const ffprobeMs: number[] = [];
  const ffprobeVersionMs: number[] = [];
  let sample: string | undefined;
  try {
    // One untimed render each way first: page cache, the scene inspector, ffprobe and LaTeX's files warm for both.
    const tiny = path.join(SCENES_DIR, 'tiny.py');
    await quiet(service);
    await timedRender(service, { code: `${fs.readFileSync(tiny, 'utf8')}\n# warm-up\n`, quality: 'low' });
    const warmUp = await cliRender({ file: tiny, scene: 'TinyCircle', quality: 'low', keep: true });
    sample = warmUp.workDir;
    // The renderer probes every output with a host ffprobe: its start-up alone is part of the overhead.
    for (let i = 0; i < 5; i++) {
      await quiet(service);
      ffprobeMs.push(timeCommand('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', warmUp.file]));
      ffprobeVersionMs.push(timeCommand('ffprobe', ['-version']));
    }

    for (const { quality, reps } of plan) {
      const byCase = cases.map((c) => ({ ...c, quality, cli: [], service: [], work: [] }) as CaseResult);
      results.push(...byCase);
      if (quality === 'low' && reps > 0) {
        // What the service's worker does besides the CLI's work: a plan pass over the scene (for progress totals),
        // which runs the scene's construct once more (TeX included) with every animation skipped.
        for (const current of byCase) {
          const warm = new WarmProcess();
          await warm.ready;
          await quiet(service);
          const code = fs.readFileSync(path.join(SCENES_DIR, current.file), 'utf8');
          const run = await warm.run({ code, scene: current.scene, quality, plan: true, render: false });
          warm.dispose();
          current.plan = run.wallMs / 1000;
        }
      }
      for (let rep = 0; rep < reps; rep++) {
        for (const [index, current] of byCase.entries()) {
          const file = path.join(SCENES_DIR, current.file);
          const code = fs.readFileSync(file, 'utf8');
          const kinds = quality === 'low' ? ['service', 'cli', 'work'] : ['service', 'cli'];
          const shift = (rep + index) % kinds.length;
          const order = [...kinds.slice(shift), ...kinds.slice(0, shift)];
          for (const which of order) {
            if (which === 'work') {
              const warm = new WarmProcess();
              await warm.ready;
              await quiet(service);
              const run = await warm.run({ code, scene: current.scene, quality, plan: false, render: true });
              warm.dispose();
              current.work.push(run.wallMs / 1000);
              log(`fixed-cost ${current.file} ${quality} rep ${rep + 1}: render pass alone ${(run.wallMs / 1000).toFixed(2)} s`);
              continue;
            }
            await quiet(service);
            if (which === 'service') {
              const run = await serviceRun(service, code, current.scene, quality);
              current.service.push(run);
              log(`fixed-cost ${current.file} ${quality} rep ${rep + 1}: service ${(run.endToEndMs / 1000).toFixed(2)} s (render ${run.renderSeconds.toFixed(2)} s)`);
            } else {
              const run = await cliRender({ file, scene: current.scene, quality });
              current.cli.push({ seconds: run.seconds, memory: run.memory });
              log(`fixed-cost ${current.file} ${quality} rep ${rep + 1}: CLI ${run.seconds.toFixed(2)} s`);
            }
          }
        }
      }
    }
  } finally {
    await service.stop();
    if (sample) fs.rmSync(sample, { recursive: true, force: true });
  }
  const measured = results.filter((r) => r.cli.length && r.service.length);
  const tinyLow = measured.find((r) => r.file === 'tiny.py' && r.quality === 'low');
  const data: FixedCostData = {
    cases: measured,
    ffprobeMs,
    ffprobeVersionMs,
    tinyOverheadMs: tinyLow ? median(tinyLow.service.map((s) => s.overheadMs)) : undefined,
  };
  return { name: 'fixed-cost', title: 'Fixed cost, service overhead and renderer memory', markdown: render(measured, data), data, targets: targets(measured) };
}

function timeCommand(command: string, args: string[]): number {
  const t0 = performance.now();
  execFileSync(command, args, { stdio: 'ignore' });
  return performance.now() - t0;
}


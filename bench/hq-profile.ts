import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { CASES } from './fixed-cost';
import { PYTHON, SCENES_DIR } from './support/cli-render';
import { waitForQuiet } from './support/proc-tree';
import { log, table, type BenchResult } from './support/report';
import { REPO } from './support/service-process';

const run = promisify(execFile);

/** What bench/support/hq_profile.py prints for one render pass. */
interface Profile {
  scene: string;
  frames: number;
  wallSeconds: number;
  processCpuSeconds: number;
  childCpuSeconds: number;
  stagesCpu: Record<string, number>;
  bytes: number;
}

/** The two encoder settings compared: Manim's defaults (what `manim render` does) and the worker's (encoding.py). */
const VARIANTS = [
  { name: "Manim's defaults (x264 medium, CRF 23)", options: {}, convertOnce: false },
  { name: 'the worker (x264 veryfast, CRF 25, a held frame converted once)', options: { preset: 'veryfast', crf: '25' }, convertOnce: true },
];

const STAGES: Array<[string, string]> = [
  ['update', 'scene Python between frames'],
  ['reset', 'background refill'],
  ['rasterise', 'cairo drawing'],
  ['copy', 'frame copied out'],
  ['handoff', 'queued to the encoder'],
  ['convert', 'RGBA → AVFrame'],
  ['encode', 'encoder thread (RGBA→YUV, x264 submit)'],
  ['x264Threads', "x264's own threads"],
];

async function profile(file: string, scene: string, variant: (typeof VARIANTS)[number]): Promise<Profile> {
  const outputDir = fs.mkdtempSync(path.join(os.tmpdir(), 'manim-render-hq-'));
  try {
    const job = { code: fs.readFileSync(path.join(SCENES_DIR, file), 'utf8'), scene, quality: 'high_quality', outputDir, options: variant.options, convertOnce: variant.convertOnce };
    await waitForQuiet(process.pid);
    const { stdout } = await run(PYTHON, [path.join(REPO, 'bench', 'support', 'hq_profile.py'), JSON.stringify(job)], { cwd: outputDir, maxBuffer: 16 << 20 });
    return JSON.parse(stdout.trim().split('\n').pop()!) as Profile;
  } finally {
    fs.rmSync(outputDir, { recursive: true, force: true });
  }
}

const s = (seconds: number) => seconds.toFixed(2);

/**
 * Where a high-quality (1080p60) render pass spends its CPU, stage by stage (hq_profile.py wraps Manim's own
 * methods on the thread that runs each), with Manim's encoder defaults and with the worker's: one process per
 * render, no sandbox or service, so the figures are the frames' own cost.
 */
export async function hqProfile(): Promise<BenchResult> {
  const rows: string[][] = [];
  const data: Array<{ file: string; variant: string; profile: Profile }> = [];
  for (const { file, scene } of CASES) {
    const [base, ours] = [await profile(file, scene, VARIANTS[0]!), await profile(file, scene, VARIANTS[1]!)];
    for (const [variant, p] of [
      [VARIANTS[0]!, base],
      [VARIANTS[1]!, ours],
    ] as const) {
      log(`hq-profile: ${file} ${variant.name}: ${s(p.wallSeconds)} s wall, ${s(p.processCpuSeconds)} CPU s`);
      data.push({ file, variant: variant.name, profile: p });
      const encoding = (p.stagesCpu.convert ?? 0) + (p.stagesCpu.encode ?? 0) + (p.stagesCpu.x264Threads ?? 0);
      rows.push([
        file,
        variant === VARIANTS[0] ? 'defaults' : 'worker',
        String(p.frames),
        s(p.wallSeconds),
        s(p.processCpuSeconds + p.childCpuSeconds),
        ...STAGES.map(([stage]) => s(p.stagesCpu[stage] ?? 0)),
        `${Math.round((encoding / p.processCpuSeconds) * 100)}%`,
        s(p.childCpuSeconds),
        `${Math.round(p.bytes / 1024)} kB${variant === VARIANTS[1] ? ` (${((p.bytes / base.bytes) * 100).toFixed(0)}%)` : ''}`,
      ]);
    }
  }
  const markdown = [
    'CPU seconds per stage of one render pass at 1080p60, in one process (no sandbox, no service). "defaults" is Manim as `manim render` runs it; "worker" the settings the service\'s worker gives Manim (python/manim_worker/encoding.py).',
    '',
    table(['scene', 'encoder', 'frames', 'wall s', 'CPU s (with TeX)', ...STAGES.map(([, label]) => label), 'encoding share', 'TeX (children)', 'file'], rows),
  ].join('\n');
  return { name: 'hq-profile', title: 'High-quality render pass: where the CPU goes', markdown, data, targets: [] };
}

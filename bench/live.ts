import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { SCENES_DIR } from './support/cli-render';
import { waitForQuiet } from './support/proc-tree';
import { log, table, type BenchResult, type TargetCheck } from './support/report';
import { ServiceProcess } from './support/service-process';
import type { JobView } from './support/types';

/**
 * Live playback: how soon the first animation of a scene can be played, against how long the whole video takes.
 * Each render is timed from the POST: `first` when its live playlist first lists a segment (polled every 25 ms,
 * as a player would reload it), `whole` when the job reports succeeded. The figure is first / whole, of the same
 * render. Split is off, so a scene's segments come from one renderer, in order.
 */

const CASES: Array<{ file: string; quality: 'low' | 'high' }> = [
  { file: 'long_timeline.py', quality: 'low' },
  { file: 'minute_long.py', quality: 'low' },
  { file: 'long_timeline.py', quality: 'high' },
  { file: 'minute_long.py', quality: 'high' },
];

interface Measured {
  file: string;
  quality: string;
  firstMs: number;
  wholeMs: number;
  segments: number;
  videoSeconds: number;
}

async function measure(service: ServiceProcess, file: string, quality: string): Promise<Measured> {
  const code = fs.readFileSync(path.join(SCENES_DIR, file), 'utf8');
  await waitForQuiet(service.pid);
  const t0 = performance.now();
  const submitted = (await (await service.request('POST', '/v1/renders', { code, quality })).json()) as JobView;
  const scene = submitted.scenes[0]!.name;
  let firstMs: number | undefined;
  for (;;) {
    if (firstMs === undefined) {
      const playlist = await service.request('GET', `/v1/renders/${submitted.id}/scenes/${scene}/live.m3u8`);
      if (playlist.status === 200 && (await playlist.text()).includes('#EXTINF')) firstMs = performance.now() - t0;
    }
    const job = await service.getJob(submitted.id);
    if (job.status === 'succeeded') {
      const live = job.scenes[0] as { live?: { segments: number } } & JobView['scenes'][number];
      return { file, quality, firstMs: firstMs ?? performance.now() - t0, wholeMs: performance.now() - t0, segments: live.live?.segments ?? 0, videoSeconds: job.scenes[0]!.output?.durationSeconds ?? 0 };
    }
    if (job.status === 'failed' || job.status === 'cancelled') throw new Error(`${file} at ${quality} ended ${job.status}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function live(): Promise<BenchResult> {
  const service = await ServiceProcess.start({ SPLIT_MAX_PARTS: '1', RESULT_CACHE: 'false', QUOTA_SUBMITS_PER_MINUTE: '1000' }, { readLogs: false });
  const results: Measured[] = [];
  try {
    for (const { file, quality } of CASES) {
      const measured = await measure(service, file, quality);
      log(`live ${file} ${quality}: first segment ${(measured.firstMs / 1000).toFixed(2)} s, whole ${(measured.wholeMs / 1000).toFixed(2)} s`);
      results.push(measured);
    }
  } finally {
    await service.stop();
  }
  const share = (m: Measured) => m.firstMs / m.wholeMs;
  const rows = results.map((m) => [
    m.file,
    m.quality,
    `${m.videoSeconds.toFixed(1)} s`,
    String(m.segments),
    `${(m.firstMs / 1000).toFixed(2)} s`,
    `${(m.wholeMs / 1000).toFixed(2)} s`,
    `${(share(m) * 100).toFixed(1)} %`,
  ]);
  const targets: TargetCheck[] = [
    ...results.map((m) => ({ target: `first segment < 20% of the whole (${m.file}, ${m.quality})`, reached: `${(share(m) * 100).toFixed(1)} %`, met: share(m) < 0.2 })),
    ...results
      .filter((m) => m.quality === 'low')
      .map((m) => ({ target: `first segment < 2 s at low quality (${m.file})`, reached: `${(m.firstMs / 1000).toFixed(2)} s`, met: m.firstMs < 2000 })),
  ];
  const markdown = [
    '### Live playback: first playable segment',
    '',
    'Each scene submitted once to `node dist/main.js` (local mode, split off), timed from the POST: until its live playlist lists a first segment (polled every 25 ms), and until the job is `succeeded`.',
    '',
    table(['scene', 'quality', 'video', 'segments', 'first segment', 'whole video', 'first / whole'], rows),
  ].join('\n');
  return { name: 'live', title: 'Live playback', markdown, data: results, targets };
}

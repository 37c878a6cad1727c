import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { SCENES_DIR } from './support/cli-render';
import { waitForQuiet } from './support/proc-tree';
import { log, table, type BenchResult, type TargetCheck } from './support/report';
import { ServiceProcess } from './support/service-process';
import { settings } from './support/settings';
import { quantile, summarize } from './support/stats';
import { timedRender } from './support/timed-render';

/**
 * Cache-hit latency: the same request submitted again and again by the same principal, each timed from the POST
 * until the client knows the job succeeded. A hit is a submit whose own answer is already `succeeded` (the
 * latency is then the POST's); a miss renders again, so only a few misses are measured. Measured for tiny.py and
 * for the larger movie of long_timeline.py (a hit copies the earlier file under the new job). Beside them, two
 * floors of the same path: a GET of a finished job, and a submit replayed by its Idempotency-Key (answers the
 * existing job without creating one).
 */

interface Sample {
  ms: number;
  hit: boolean;
}

interface Series {
  file: string;
  firstRenderMs: number;
  bytes: number;
  samples: Sample[];
  markers: string[];
}

async function identicalSubmits(service: ServiceProcess, file: string, hitsWanted: number): Promise<Series> {
  const body = { code: fs.readFileSync(path.join(SCENES_DIR, file), 'utf8'), quality: 'low' };
  await waitForQuiet(service.pid);
  const first = await timedRender(service, body);
  log(`cache-hit ${file}: first render ${(first.endToEndMs / 1000).toFixed(2)} s`);
  const samples: Sample[] = [];
  const markers = new Set<string>();
  let budget = settings.cacheMissSamples;
  for (let i = 0; i < budget; i++) {
    // A miss renders, and the next spare worker's start-up must not overlap the next measurement.
    if (!samples.at(-1)?.hit) await waitForQuiet(service.pid);
    const run = await timedRender(service, body);
    if (run.job.status !== 'succeeded') throw new Error(`identical submit of ${file} ended ${run.job.status}`);
    samples.push({ ms: run.endToEndMs, hit: run.terminalAtSubmit });
    for (const scene of run.submitAnswer.scenes) for (const key of Object.keys(scene)) if (/cache/i.test(key)) markers.add(`${key}=${JSON.stringify(scene[key])}`);
    // Hits are cheap: measure as many as p99 wants.
    if (i === 0 && run.terminalAtSubmit) budget = hitsWanted;
  }
  log(`cache-hit ${file}: ${samples.filter((s) => s.hit).length}/${samples.length} identical submits were answered already succeeded`);
  return { file, firstRenderMs: first.endToEndMs, bytes: first.job.scenes[0]?.output?.bytes ?? 0, samples, markers: [...markers] };
}

export async function cacheHit(): Promise<BenchResult> {
  const service = await ServiceProcess.start({ QUOTA_SUBMITS_PER_MINUTE: '1000000', QUOTA_ACTIVE_SCENES: '100000' }, { readLogs: false });
  const series: Series[] = [];
  const floors: Record<'get' | 'replay', number[]> = { get: [], replay: [] };
  try {
    series.push(await identicalSubmits(service, 'tiny.py', settings.cacheSubmits));
    series.push(await identicalSubmits(service, 'long_timeline.py', Math.max(1, Math.round(settings.cacheSubmits / 3))));

    const body = { code: fs.readFileSync(path.join(SCENES_DIR, 'tiny.py'), 'utf8'), quality: 'low' };
    const finished = (await (await service.request('GET', '/v1/renders?pageSize=1')).json()) as { jobs: Array<{ id: string }> };
    const someJob = finished.jobs[0]!.id;
    for (let i = 0; i < settings.cacheSubmits; i++) {
      const t0 = performance.now();
      const res = await service.request('GET', `/v1/renders/${someJob}`);
      await res.json();
      floors.get.push(performance.now() - t0);
    }
    const key = `bench-${Date.now()}`;
    const firstKeyed = await service.request('POST', '/v1/renders', body, { 'idempotency-key': key });
    const keyedJob = (await firstKeyed.json()) as { id: string };
    while ((await service.getJob(keyedJob.id)).status !== 'succeeded') await new Promise((r) => setTimeout(r, 20));
    await waitForQuiet(service.pid);
    for (let i = 0; i < settings.cacheSubmits; i++) {
      const t0 = performance.now();
      const res = await service.request('POST', '/v1/renders', body, { 'idempotency-key': key });
      await res.json();
      if (res.status !== 200) throw new Error(`replayed submit answered ${res.status}`);
      floors.replay.push(performance.now() - t0);
    }
  } finally {
    await service.stop();
  }

  const row = (what: string, values: number[], note: string) => {
    const s = summarize(values);
    return [what, String(values.length), `${s.median.toFixed(1)} ms`, `${quantile(values, 0.9).toFixed(1)} ms`, `${quantile(values, 0.99).toFixed(1)} ms`, `${s.max.toFixed(1)} ms`, note];
  };
  const rows = [
    ...series.map((s) => {
      const hits = s.samples.filter((x) => x.hit);
      const note = `${hits.length}/${s.samples.length} answered already succeeded${s.markers.length ? ` (${s.markers.join(', ')})` : ''}; first render ${(s.firstRenderMs / 1000).toFixed(2)} s, ${(s.bytes / 1024).toFixed(0)} KiB movie`;
      return row(`identical ${s.file} submit → succeeded`, s.samples.map((x) => x.ms), note);
    }),
    row('GET /v1/renders/{id} of a finished job', floors.get, 'floor: one API round trip reading a job'),
    row('submit replayed by Idempotency-Key', floors.replay, 'floor: a submit answered with an existing job (200)'),
  ];
  const targets: TargetCheck[] = series.map((s) => {
    const hits = s.samples.filter((x) => x.hit).map((x) => x.ms);
    const p99 = quantile(hits, 0.99);
    return {
      target: `cache hit ≤ 50 ms p99 (identical ${s.file} submit → succeeded)`,
      reached: hits.length ? `p99 ${p99.toFixed(1)} ms over ${hits.length} hits` : `no hits: an identical submit renders again (median ${summarize(s.samples.map((x) => x.ms)).median.toFixed(0)} ms)`,
      met: hits.length ? p99 <= 50 : false,
    };
  });
  const markdown = [
    '### Cache-hit latency',
    '',
    'After one render, identical submits by the same principal (low quality), each timed from the POST until the client sees `succeeded` (the 202 answer itself when it is a hit; otherwise polling every 20 ms), one after another.',
    '',
    table(['what', 'n', 'p50', 'p90', 'p99', 'max', 'note'], rows),
  ].join('\n');
  return { name: 'cache-hit', title: 'Cache-hit latency', markdown, data: { series, floors }, targets };
}

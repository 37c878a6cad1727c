import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SCENES_DIR } from './support/cli-render';
import { load, type LoadRun } from './support/http-load';
import { topSelfTime } from './support/cpu-profile';
import { childrenOf, cmdlineOf, cpuMsOfTree, cpuTicksOf, environOf, treeOf, memoryOf, TreeSampler, waitForQuiet, type TreeMemory } from './support/proc-tree';
import { log, table, type BenchResult, type TargetCheck } from './support/report';
import { freePort, ServiceProcess } from './support/service-process';
import { loadEmulatedStack, mintKeys, pauseQueue } from './support/stack-helpers';
import { settings } from './support/settings';
import { mib, ratio } from './support/stats';
import type { JobView } from './support/types';

/**
 * Ingress throughput and latency of submits with the renderer held still, so that only the ingress works:
 * - embedded (local mode, SQLite): RENDER_CONCURRENCY=1 and one "blocker" job whose scene sleeps, so the one render
 *   slot is taken and every submitted task stays queued (no setting needed, nothing renders, no CPU spent);
 *   once as one principal (the active-scenes quota raised so the backlog can grow), once spread over many
 *   principals (API keys) under the default quota, as many callers would be;
 * - on the emulators (gcp mode: ingress and renderer processes, Firestore, Cloud Tasks and Cloud Storage
 *   emulators): the Cloud Tasks queue is paused, so nothing is dispatched.
 * Every submit is tiny.py with a unique trailing comment (so the result cache cannot answer it), sent by
 * autocannon from this process, against a GET /healthz run on the same service as the HTTP floor.
 */

const BLOCKER = `import time
from manim import *


class Blocker(Scene):
    def construct(self):
        time.sleep(3600)
`;

/** Request bodies: tiny.py, unique each time; with keys, each request from the next principal in turn. */
function submits(keys: string[] = []): () => { body: string; headers?: Record<string, string> } {
  const tiny = fs.readFileSync(path.join(SCENES_DIR, 'tiny.py'), 'utf8');
  let n = 0;
  return () => {
    const i = n++;
    return {
      body: JSON.stringify({ code: `${tiny}\n# submit ${i}\n`, quality: 'low' }),
      ...(keys.length && { headers: { 'x-api-key': keys[i % keys.length]! } }),
    };
  };
}

interface TargetRun {
  label: string;
  principals: number;
  healthz: LoadRun;
  submits: LoadRun;
  /** The ingress process (and the scene inspector, a Python child of it) under the submit load. */
  memory: { ingressIdle: number; ingress: TreeMemory; inspector?: TreeMemory };
  /** Cores used on average during the submit run: the ingress process, its scene inspector, the load generator. */
  cores: { ingress: number; inspector: number; loadGenerator: number };
  /** Cores the other processes of the stack used meanwhile (the emulators, the idle renderer). */
  otherCores?: Record<string, number>;
  stillQueued: boolean;
  /** With BENCH_PROFILE=1: where the ingress process spent its time over the whole run (`node --cpu-prof`). */
  profile?: Array<{ fn: string; percent: number; ms: number }>;
}

async function measure(params: {
  label: string;
  url: string;
  headers: Record<string, string>;
  keys?: string[];
  ingressPid: number;
  /** Other process trees of the stack whose CPU is worth reporting, by name. */
  others?: Record<string, number>;
  checkQueued: (id: string) => Promise<boolean>;
}): Promise<TargetRun> {
  const healthz = await load({ url: `${params.url}/healthz`, method: 'GET', seconds: 2 });
  log(`ingress ${params.label}: /healthz ${(healthz.ok / healthz.seconds).toFixed(0)}/s`);
  await waitForQuiet(params.ingressPid, { timeoutMs: 20_000 });
  const inspector = () => childrenOf(params.ingressPid).find((pid) => cmdlineOf(pid).includes('inspect_scenes'));
  const ingressIdle = memoryOf(params.ingressPid)?.rss ?? 0;
  const ingressSampler = new TreeSampler(() => [params.ingressPid], 50, false);
  let inspectorPid = inspector();
  const inspectorTicks0 = (inspectorPid && cpuTicksOf(inspectorPid)) || 0;
  const inspectorSampler = new TreeSampler(() => {
    inspectorPid ??= inspector();
    return inspectorPid ? [inspectorPid] : [];
  }, 50, false);
  const ingressTicks0 = cpuTicksOf(params.ingressPid) ?? 0;
  const others0 = Object.fromEntries(Object.entries(params.others ?? {}).map(([name, pid]) => [name, cpuMsOfTree(pid)]));
  const ownCpu0 = process.cpuUsage();
  const t0 = Date.now();
  const run = await load({
    url: `${params.url}/v1/renders`,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...params.headers },
    body: submits(params.keys),
    seconds: settings.ingressSeconds,
  });
  const wallMs = Date.now() - t0;
  const ownCpu = process.cpuUsage(ownCpu0);
  const cores = {
    ingress: (((cpuTicksOf(params.ingressPid) ?? 0) - ingressTicks0) * 10) / wallMs,
    inspector: inspectorPid ? (((cpuTicksOf(inspectorPid) ?? 0) - inspectorTicks0) * 10) / wallMs : 0,
    loadGenerator: (ownCpu.user + ownCpu.system) / 1000 / wallMs,
  };
  const otherCores = Object.fromEntries(
    Object.entries(params.others ?? {}).map(([name, pid]) => [name, Math.round(((cpuMsOfTree(pid) - others0[name]!) / wallMs) * 100) / 100]),
  );
  const memory = { ingressIdle, ingress: ingressSampler.stop(), inspector: inspectorSampler.stop() };
  log(`ingress ${params.label}: submits ${(run.ok / run.seconds).toFixed(0)}/s, p99 ${run.latencyMs.p99} ms, non-2xx ${run.non2xx}`);
  // One more submit, to see that the renderer really stayed still: its job must still be queued.
  const probe = await fetch(`${params.url}/v1/renders`, { method: 'POST', headers: { 'content-type': 'application/json', ...params.headers }, body: submits()().body });
  const probeJob = (await probe.json()) as JobView;
  await new Promise((resolve) => setTimeout(resolve, 500));
  const stillQueued = await params.checkQueued(probeJob.id);
  return { label: params.label, principals: params.keys?.length || 1, healthz, submits: run, memory, cores, otherCores, stillQueued };
}

async function embedded(principals: number): Promise<TargetRun> {
  let keys: string[] = [];
  const profileDir = settings.profile ? fs.mkdtempSync(path.join(os.tmpdir(), 'manim-render-bench-profile-')) : undefined;
  const service = await ServiceProcess.start(
    {
      RENDER_CONCURRENCY: '1',
      QUOTA_SUBMITS_PER_MINUTE: '1000000',
      // One principal: its backlog grows with every submit, so its quota must let it. Many: the default quota.
      ...(principals === 1 && { QUOTA_ACTIVE_SCENES: '100000' }),
    },
    {
      readLogs: false,
      prepare: async (dataDir) => void (keys = principals > 1 ? await mintKeys(dataDir, principals) : []),
      nodeArgs: profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [],
    },
  );
  const label = principals === 1 ? 'embedded, 1 principal' : `embedded, ${principals} principals`;
  try {
    const res = await service.request('POST', '/v1/renders', { code: BLOCKER, quality: 'low', timeoutSeconds: 600 });
    const blocker = (await res.json()) as JobView;
    if (res.status !== 202) throw new Error(`blocker submit: ${res.status} ${JSON.stringify(blocker)}`);
    const deadline = Date.now() + 60_000;
    while ((await service.getJob(blocker.id)).status !== 'rendering') {
      if (Date.now() > deadline) throw new Error('the blocker job never started rendering');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await waitForQuiet(service.pid);
    const run = await measure({
      label,
      url: service.url,
      headers: {},
      keys,
      ingressPid: service.pid,
      checkQueued: async (id) => (await service.getJob(id)).status === 'queued' && (await service.getJob(blocker.id)).status === 'rendering',
    });
    await service.request('POST', `/v1/renders/${blocker.id}/cancel`);
    await service.stop();
    if (profileDir) run.profile = topSelfTime(profileDir);
    return run;
  } finally {
    await service.stop();
    if (profileDir) fs.rmSync(profileDir, { recursive: true, force: true });
  }
}

async function onEmulators(): Promise<TargetRun> {
  const startEmulatedStack = loadEmulatedStack();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'manim-render-bench-emulated-'));
  const stack = await startEmulatedStack({
    port: await freePort(),
    rendererPort: await freePort(),
    dataDir,
    output: 'ignore',
    env: { QUOTA_SUBMITS_PER_MINUTE: '1000000', QUOTA_ACTIVE_SCENES: '100000' },
  });
  try {
    await pauseQueue(stack);
    const ingressPid = childrenOf(process.pid).find((pid) => environOf(pid).ROLE === 'ingress');
    if (!ingressPid) throw new Error('could not find the ingress process');
    const headers = { 'x-api-key': stack.apiKey };
    await waitForQuiet(ingressPid, { timeoutMs: 30_000 });
    // The emulators run under small shell watchdogs, children of this process; name each by what runs below it.
    const others: Record<string, number> = {};
    for (const pid of childrenOf(process.pid)) {
      const below = treeOf(pid).map(cmdlineOf).join(' ');
      if (/firestore/i.test(below)) others['Firestore emulator'] = pid;
      else if (/cloud-tasks-emulator/.test(below)) others['Cloud Tasks emulator'] = pid;
      else if (/fake-gcs-server/.test(below)) others['Storage emulator'] = pid;
      else if (environOf(pid).ROLE === 'renderer') others['renderer (idle)'] = pid;
    }
    return await measure({
      label: 'emulators, 1 principal (API key)',
      url: stack.ingressUrl,
      headers,
      ingressPid,
      others,
      checkQueued: async (id) => {
        const job = (await (await fetch(`${stack.ingressUrl}/v1/renders/${id}`, { headers })).json()) as JobView;
        return job.status === 'queued';
      },
    });
  } finally {
    await stack.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function ingress(): Promise<BenchResult> {
  const runs: TargetRun[] = [await embedded(1), await embedded(settings.ingressPrincipals)];
  let emulatorError: string | undefined;
  if (!settings.skipEmulators) {
    try {
      runs.push(await onEmulators());
    } catch (error) {
      emulatorError = (error as Error).message;
      log(`ingress on the emulators failed: ${emulatorError}`);
    }
  }
  const rate = (r: LoadRun) => r.ok / r.seconds;
  const rows = runs.map((r) => {
    const per = r.submits.perSecond;
    const emulator = r.label.startsWith('emulators');
    return [
      emulator ? `**emulator figures**: ${r.label}` : r.label,
      `${rate(r.submits).toFixed(0)}/s`,
      per.length > 1 ? `${per[0]} → ${per.at(-1)}` : 'n/a',
      `${r.submits.ok}`,
      `${r.submits.latencyMs.p50} / ${r.submits.latencyMs.p99} / ${r.submits.latencyMs.max} ms`,
      `${r.submits.non2xx}${r.submits.errors ? ` (+${r.submits.errors} errors)` : ''}`,
      `${rate(r.healthz).toFixed(0)}/s`,
      ratio(rate(r.submits) / rate(r.healthz), 3),
      `${r.cores.ingress.toFixed(2)} / ${r.cores.inspector.toFixed(2)} / ${r.cores.loadGenerator.toFixed(2)}`,
      r.stillQueued ? 'yes' : '**no**',
    ];
  });
  const memoryRows = runs.map((r) => [
    r.label,
    mib(r.memory.ingressIdle),
    mib(r.memory.ingress.peakTreeRss),
    mib(r.memory.ingress.largestProcessHwm),
    r.memory.inspector?.processes ? mib(r.memory.inspector.largestProcessHwm) : 'n/a',
  ]);
  const markdown = [
    `### Ingress: submits with the renderer held still (${settings.ingressConnections} connections, ${settings.ingressSeconds} s, autocannon)`,
    '',
    'Every submit is tiny.py with a unique comment, answered 202 after parsing the code (scene inspector), checking the quotas, storing the job and enqueuing its task. "First → last second" is 2xx per second at the start and at the end of the run: the backlog of queued jobs grows by every submit. Non-2xx answers are quota refusals (429): a run that has any measured the quota, not the ingress, and its figure is only a floor. The load generator runs on the same 2 cores as the service; the cores column says who used them.',
    '',
    table(
      ['target', 'submits/s (2xx)', 'first → last second', 'jobs created', 'latency p50 / p99 / max', 'non-2xx', 'GET /healthz (floor)', 'submits ÷ healthz', 'cores: ingress / inspector / load generator', 'renderer stayed still'],
      rows,
    ),
    ...(emulatorError ? ['', `The emulator run failed: ${emulatorError}`] : []),
    ...runs
      .filter((r) => r.otherCores && Object.keys(r.otherCores).length)
      .map((r) => `\nMeanwhile (${r.label}): ${Object.entries(r.otherCores!).map(([name, cores]) => `${name} ${cores.toFixed(2)} cores`).join(', ')}.`),
    '',
    'Ingress memory under that load (the Node process; the scene inspector is its Python child):',
    '',
    table(['target', 'ingress RSS idle', 'ingress peak RSS (sampled)', 'ingress VmHWM', 'inspector VmHWM'], memoryRows),
    ...runs
      .filter((r) => r.profile?.length)
      .flatMap((r) => [
        '',
        `Where the ${r.label} service process spent its time (BENCH_PROFILE=1: \`node --cpu-prof\`, the whole run; profiling slows it, so its figures above are not comparable with an unprofiled run):`,
        '',
        table(['function (self time)', 'share', 'ms'], r.profile!.map((p) => [`\`${p.fn}\``, `${p.percent}%`, String(p.ms)])),
      ]),
  ].join('\n');
  const best = runs.filter((r) => !r.label.startsWith('emulators')).map((r) => ({ r, rate: rate(r.submits) }));
  const targets: TargetCheck[] = [
    {
      target: 'ingress ≥ 1,000 submits/s embedded',
      reached: best
        .map(({ r, rate: v }) => `${v.toFixed(0)}/s ${r.label.replace('embedded, ', '')} (p99 ${r.submits.latencyMs.p99} ms${r.submits.non2xx ? `; ${r.submits.non2xx} refused, so a floor` : ''})`)
        .join('; '),
      met: best.some(({ rate: v }) => v >= 1000),
    },
  ];
  return { name: 'ingress', title: 'Ingress throughput and memory', markdown, data: { runs, emulatorError }, targets };
}

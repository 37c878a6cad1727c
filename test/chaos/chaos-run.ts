import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { promisify } from 'node:util';
import type { JobView } from '../../src/contracts/job';
import { freePort } from '../support/emulators';
import { FIXTURES } from '../support/service-harness';
import { seededRandom } from './seeded-random';
import { renderWorkerPids, ServiceProcess } from './service-process';
import { startWebhookReceiver } from './webhook-receiver';

const run = promisify(execFile);
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name), 'utf8');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);
/** Jobs queued at most before the workload stops submitting for a while. */
const MAX_BACKLOG = 12;
/** After the faults stop, a job not terminal while no job has become terminal for this long is stuck. */
const NO_PROGRESS_MS = 120_000;

/** Where the faults are injected: the fault points (src/chaos/fault-points.ts), each a chance per pass. */
const FAULT_POINTS = {
  'submit.after-store': 0.08,
  'finish.after-upload': 0.08,
  'finish.after-record': 0.08,
  'part.after-upload': 0.08,
  'part.after-record': 0.08,
  'webhook.after-post': 0.08,
};

/** What a scene of each workload file must last (seconds of video), for the playable-file check. */
const EXPECTED = {
  'tiny.py': { TinyCircle: 1.5 },
  'multi_scene.py': null,
  'long_timeline.py': null,
} as const;
type Workload = keyof typeof EXPECTED;

interface Tracked {
  id: string;
  file: Workload;
  webhook: boolean;
  deleted: boolean;
}

export interface ChaosFigures {
  seed: number;
  minutes: number;
  jobs: number;
  /** Jobs the store holds: more than `jobs` when a retried submit without a key made a second one. */
  storedJobs: number;
  scenes: number;
  faults: Record<string, number>;
  terminal: Record<string, number>;
  webhooksRedelivered: number;
  drainSeconds: number;
  violations: Record<string, string[]>;
}

/**
 * A mixed workload against a local-mode service in a process of its own (whole renders, multi-scene jobs, split
 * scenes, webhooks, cancels and deletes at random moments, duplicate submits with and without Idempotency-Keys)
 * while faults are injected: the process killed at its fault points and at random, render workers killed. Then
 * the faults stop and the invariants are checked: every job ends in one terminal state (or is gone, if deleted),
 * every succeeded scene has a playable file of the right length, no blob is left without its job, every finished
 * job's webhook arrived (the same event id at most, when a death came between its answer and its record), no
 * scene counts against a quota, no task is left.
 */
export async function runChaos(params: { seed: number; minutes: number; log?: (line: string) => void }): Promise<ChaosFigures> {
  const rng = seededRandom(params.seed);
  const say = params.log ?? (() => undefined);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'manim-render-chaos-'));
  const receiver = await startWebhookReceiver();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const baseEnv: Record<string, string> = {
    PORT: String(port),
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    RENDER_CONCURRENCY: '2',
    SPLIT_MAX_PARTS: '2',
    SPLIT_MIN_SCENE_SECONDS: '5',
    SPLIT_MIN_PART_SECONDS: '2',
    LEASE_SECONDS: '5',
    REPAIR_AFTER_SECONDS: '3',
    REPAIR_INTERVAL_SECONDS: '1',
    TASK_MAX_ATTEMPTS: '30',
    TASK_MIN_BACKOFF_MS: '200',
    TASK_MAX_BACKOFF_MS: '2000',
    QUOTA_SUBMITS_PER_MINUTE: '100000',
    QUOTA_ACTIVE_SCENES: '100000',
    WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
    GLYPH_CACHE: 'false',
  };
  const service = new ServiceProcess(url, { ...baseEnv, MANIM_RENDER_FAULTS: JSON.stringify({ seed: params.seed, points: FAULT_POINTS }) }, path.join(dataDir, 'service.log'));
  const tracked: Tracked[] = [];
  const injected: Record<string, number> = { 'kill.service': 0, 'kill.worker': 0, 'duplicate.same-key': 0, 'duplicate.no-key': 0, cancel: 0, delete: 0 };
  const violations: Record<string, string[]> = {};
  const violation = (kind: string, detail: string) => (violations[kind] ??= []).push(detail);

  /** A request the service may be down for: tried again (for a submit, with its key) until it answers. */
  const call = async (method: string, route: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        const res = await fetch(`${url}${route}`, {
          method,
          headers: { ...(body !== undefined && { 'content-type': 'application/json' }), ...headers },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(20_000),
        });
        if (res.status < 500) return res;
      } catch {
        // down, or killed mid-answer
      }
      if (Date.now() > deadline) throw new Error(`${method} ${route}: no answer for 60 s`);
      await sleep(250);
    }
  };

  /** `variant` makes the code (and so the render) a new one; without it, the result cache may answer. */
  const submit = async (file: Workload, options: { key?: string; webhook: boolean; variant?: number }): Promise<string | undefined> => {
    const code = `${fixture(file)}${options.variant ? `\n# variant ${options.variant}\n` : ''}`;
    const body = { code, quality: 'low', ...(options.webhook && { webhookUrl: receiver.url }) };
    const res = await call('POST', '/v1/renders', body, options.key ? { 'Idempotency-Key': options.key } : {});
    if (res.status !== 202 && res.status !== 200) {
      violation('submit_refused', `${file}: ${res.status} ${await res.text()}`);
      return undefined;
    }
    const job = (await res.json()) as JobView;
    if (!tracked.some((t) => t.id === job.id)) tracked.push({ id: job.id, file, webhook: options.webhook, deleted: false });
    return job.id;
  };

  /** Jobs waiting to render (one page's worth at most): how far the workload is ahead of the renders. */
  const backlog = async (): Promise<number> => {
    const res = await call('GET', '/v1/renders?status=queued&pageSize=100');
    return ((await res.json()) as { jobs: unknown[] }).jobs.length;
  };

  await service.start();
  const started = Date.now();
  const deadline = started + params.minutes * 60_000;
  let step = 0;
  while (Date.now() < deadline) {
    step++;
    const roll = rng.next();
    try {
      // A closed loop: submits wait while the service has a backlog, so a long run measures faults, not a queue.
      if (roll < 0.68 && (await backlog()) >= MAX_BACKLOG) {
        await sleep(500);
        continue;
      }
      if (roll < 0.4) {
        const key = `k-${params.seed}-${step}`;
        const variant = rng.chance(0.8) ? step : 0;
        const first = await submit('tiny.py', { key, webhook: true, variant });
        if (rng.chance(0.3)) {
          injected['duplicate.same-key']!++;
          const again = await submit('tiny.py', { key, webhook: true, variant });
          if (first && again && again !== first) violation('idempotency', `key ${key}: jobs ${first} and ${again}`);
        }
      } else if (roll < 0.5) {
        injected['duplicate.no-key']!++;
        await submit('tiny.py', { webhook: false, variant: step });
        await submit('tiny.py', { webhook: false, variant: step });
      } else if (roll < 0.6) {
        await submit('multi_scene.py', { key: `k-${params.seed}-${step}`, webhook: true, variant: step });
      } else if (roll < 0.68) {
        await submit('long_timeline.py', { key: `k-${params.seed}-${step}`, webhook: true, variant: step });
      } else if (roll < 0.76 && tracked.length > 0) {
        injected.cancel!++;
        await call('POST', `/v1/renders/${rng.pick(tracked).id}/cancel`);
      } else if (roll < 0.8 && tracked.length > 0) {
        const victim = rng.pick(tracked.filter((t) => !t.deleted).length ? tracked.filter((t) => !t.deleted) : tracked);
        injected.delete!++;
        const res = await call('DELETE', `/v1/renders/${victim.id}`);
        if (res.status === 204 || res.status === 404) victim.deleted = true;
      } else if (roll < 0.88) {
        injected['kill.service']!++;
        service.kill();
      } else if (roll < 0.96) {
        const workers = renderWorkerPids(dataDir);
        if (workers.length > 0) {
          injected['kill.worker']!++;
          process.kill(rng.pick(workers), 'SIGKILL');
        }
      }
    } catch (error) {
      violation('harness', (error as Error).message);
    }
    await sleep(150 + rng.int(600));
  }

  // The faults stop: one clean start, then everything must settle.
  say(`chaos over after ${step} steps; draining`);
  await service.stop();
  service.setEnv(baseEnv);
  await service.start();
  const drainStarted = Date.now();
  const views = new Map<string, JobView | null>();
  let lastProgress = Date.now();
  let pending = [...tracked];
  while (pending.length > 0) {
    const next: Tracked[] = [];
    for (const job of pending) {
      const res = await call('GET', `/v1/renders/${job.id}`);
      if (res.status === 404) {
        views.set(job.id, null);
        if (!job.deleted) violation('lost_job', `${job.id} (${job.file}) is gone though never deleted`);
        lastProgress = Date.now();
        continue;
      }
      const view = (await res.json()) as JobView;
      if (job.deleted) {
        violation('deleted_job_still_there', `${job.id}: ${view.status}`);
        views.set(job.id, view);
      } else if (TERMINAL.has(view.status)) {
        views.set(job.id, view);
        lastProgress = Date.now();
      } else if (Date.now() - lastProgress > NO_PROGRESS_MS) {
        violation('stuck', `${job.id} (${job.file}) still ${view.status}: ${JSON.stringify(view.scenes.map((s) => [s.name, s.status, s.attempts]))}`);
        views.set(job.id, view);
      } else {
        next.push(job);
      }
    }
    pending = next;
    if (pending.length > 0) await sleep(500);
  }
  const drainSeconds = (Date.now() - drainStarted) / 1000;

  // Every succeeded scene plays, and lasts what it should.
  const terminal: Record<string, number> = {};
  let scenes = 0;
  for (const job of tracked) {
    const view = views.get(job.id);
    if (!view) continue;
    for (const scene of view.scenes) {
      scenes++;
      terminal[scene.status] = (terminal[scene.status] ?? 0) + 1;
      if (scene.status === 'failed') violation('scene_failed', `${job.id}/${scene.name}: ${scene.error?.code} ${scene.error?.message?.slice(0, 200)}`);
      if (scene.status !== 'succeeded') continue;
      const res = await call('GET', `/v1/renders/${job.id}/scenes/${scene.name}/video`);
      const file = path.join(dataDir, `check-${job.id}-${scene.name}.mp4`);
      fs.writeFileSync(file, Buffer.from(await res.arrayBuffer()));
      try {
        const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file]);
        const seconds = Number(stdout.trim());
        const expected = (EXPECTED[job.file] as Record<string, number> | null)?.[scene.name];
        if (!(seconds > 0.3) || (expected !== undefined && Math.abs(seconds - expected) > 0.25)) violation('bad_file', `${job.id}/${scene.name}: ${seconds} s`);
      } catch (error) {
        violation('unplayable_file', `${job.id}/${scene.name}: ${(error as Error).message.slice(0, 200)}`);
      }
      fs.rmSync(file);
    }
  }

  // Webhooks: each finished job's event arrived; a second arrival may only be the same event again.
  let redelivered = 0;
  const webhookBound = Date.now() + 30_000;
  for (const job of tracked.filter((t) => t.webhook && views.get(t.id))) {
    while (!receiver.byJob.has(job.id) && Date.now() < webhookBound) await sleep(200);
    const events = receiver.byJob.get(job.id);
    if (!events) violation('webhook_lost', job.id);
    else if (events.size > 1) violation('webhook_twice', `${job.id}: ${events.size} different events`);
  }
  for (const count of receiver.byEvent.values()) redelivered += count - 1;

  // Quotas: nothing counts as active; no blob without its job; no task left.
  for (const status of ['queued', 'rendering']) {
    const page = (await (await call('GET', `/v1/renders?status=${status}&pageSize=100`)).json()) as { jobs: JobView[] };
    for (const job of page.jobs) violation('still_active', `${job.id}: ${status}`);
  }
  await service.stop();
  // Every job the store holds (a submit without a key whose answer was lost, retried, made one the workload never
  // saw: that is what a key is for), against the files on disk.
  const jobsDb = new DatabaseSync(path.join(dataDir, 'jobs.sqlite'), { readOnly: true });
  const stored = jobsDb.prepare('SELECT id, status FROM jobs').all() as Array<{ id: string; status: string }>;
  jobsDb.close();
  for (const job of stored) if (!TERMINAL.has(job.status)) violation('stuck', `${job.id}: ${job.status} (never seen by the workload)`);
  const known = new Set(stored.map((job) => job.id));
  const jobsDir = path.join(dataDir, 'blobs', 'jobs');
  for (const dir of fs.existsSync(jobsDir) ? fs.readdirSync(jobsDir) : []) {
    if (!known.has(dir)) violation('orphan_blobs', dir);
  }
  const tasks = new DatabaseSync(path.join(dataDir, 'tasks.sqlite'), { readOnly: true });
  const left = tasks.prepare("SELECT name, state FROM tasks WHERE state IN ('pending', 'dispatching')").all() as Array<{ name: string; state: string }>;
  tasks.close();
  for (const task of left) violation('task_left', `${task.name} (${task.state})`);

  await receiver.close();
  const figures: ChaosFigures = {
    seed: params.seed,
    minutes: params.minutes,
    jobs: tracked.length,
    storedJobs: stored.length,
    scenes,
    faults: { ...injected, ...Object.fromEntries(Object.entries(service.faultsFired).map(([k, v]) => [`point.${k}`, v])), restarts: service.restarts },
    terminal,
    webhooksRedelivered: redelivered,
    drainSeconds,
    violations,
  };
  if (Object.keys(violations).length === 0) fs.rmSync(dataDir, { recursive: true, force: true });
  else say(`data kept for inspection: ${dataDir}`);
  return figures;
}

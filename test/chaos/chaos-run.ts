import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { JobView } from '../../src/contracts/job';
import { FIXTURES } from '../support/service-harness';
import type { ChaosTarget } from './chaos-target';
import { seededRandom } from './seeded-random';
import { startWebhookReceiver } from './webhook-receiver';

const run = promisify(execFile);
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name), 'utf8');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);
/** Jobs queued at most before the workload stops submitting for a while. */
const MAX_BACKLOG = 12;
/** After the faults stop, a job not terminal while no job has become terminal for this long is stuck. */
const NO_PROGRESS_MS = 120_000;
/** After the jobs end, how long the queues may take to empty: a webhook send claim's lease and a retry's backoff. */
const TASKS_DRAIN_MS = 90_000;

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
  target: string;
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
 * A mixed workload against a target (whole renders, multi-scene jobs, split scenes, webhooks to a receiver that is
 * sometimes down or slow, cancels and deletes at random moments, duplicate submits with and without
 * Idempotency-Keys) while the target's faults are injected at random. Then the faults stop and the invariants are
 * checked: every job ends in one terminal state (or is gone, if deleted), every succeeded scene has a playable file
 * of the right length, no blob is left without its job, every finished job's webhook arrived (the same event id
 * again only after a death between its answer and its record), no scene counts against a quota, no task is left.
 */
export async function runChaos(params: { seed: number; minutes: number; target: ChaosTarget; log?: (line: string) => void }): Promise<ChaosFigures> {
  const rng = seededRandom(params.seed);
  const say = params.log ?? (() => undefined);
  const target = params.target;
  const receiverRandom = seededRandom(params.seed ^ 0x5eed);
  const receiver = await startWebhookReceiver({ random: receiverRandom.next });
  const url = target.url;
  const tracked: Tracked[] = [];
  const injected: Record<string, number> = { 'duplicate.same-key': 0, 'duplicate.no-key': 0, cancel: 0, delete: 0 };
  const violations: Record<string, string[]> = {};
  const violation = (kind: string, detail: string) => (violations[kind] ??= []).push(detail);
  const faultWeights = target.faults.reduce((sum, f) => sum + f.weight, 0);
  const pickFault = () => {
    let roll = rng.next() * faultWeights;
    for (const fault of target.faults) if ((roll -= fault.weight) < 0) return fault;
    return target.faults[target.faults.length - 1]!;
  };

  /** A request the service may be down for: tried again (for a submit, with its key) until it answers. */
  const call = async (method: string, route: string, body?: unknown, headers: Record<string, string> = {}, redirect: 'follow' | 'manual' = 'follow'): Promise<Response> => {
    const deadline = Date.now() + 90_000;
    for (;;) {
      try {
        const res = await fetch(`${url}${route}`, {
          method,
          headers: { ...target.headers, ...(body !== undefined && { 'content-type': 'application/json' }), ...headers },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(20_000),
          redirect,
        });
        if (res.status < 500) return res;
      } catch {
        // down, or killed mid-answer
      }
      if (Date.now() > deadline) throw new Error(`${method} ${route}: no answer for 90 s`);
      await sleep(250);
    }
  };
  /** `variant` makes the code (and so the render) a new one; without it, the result cache may answer. */
  const submit = async (file: Workload, options: { key?: string; webhook: boolean; variant?: number }): Promise<string | undefined> => {
    const code = `${fixture(file)}${options.variant ? `\n# variant ${options.variant}\n` : ''}`;
    const webhook = options.webhook && target.webhooks;
    const body = { code, quality: 'low', ...(webhook && { webhookUrl: receiver.url }) };
    const res = await call('POST', '/v1/renders', body, options.key ? { 'Idempotency-Key': options.key } : {});
    if (res.status !== 202 && res.status !== 200) {
      violation('submit_refused', `${file}: ${res.status} ${await res.text()}`);
      return undefined;
    }
    const job = (await res.json()) as JobView;
    if (!tracked.some((t) => t.id === job.id)) tracked.push({ id: job.id, file, webhook, deleted: false });
    return job.id;
  };

  /** Jobs waiting to render (one page's worth at most): how far the workload is ahead of the renders. */
  const backlog = async (): Promise<number> => {
    const res = await call('GET', '/v1/renders?status=queued&pageSize=100');
    return ((await res.json()) as { jobs: unknown[] }).jobs.length;
  };

  await target.start();
  receiver.setFaulty(true);
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
      } else if (roll < 0.96) {
        const fault = pickFault();
        injected[fault.name] = (injected[fault.name] ?? 0) + 1;
        await fault.inject(rng);
      }
    } catch (error) {
      violation('harness', (error as Error).message);
    }
    await sleep(150 + rng.int(600));
  }

  // The faults stop: one clean start, then everything must settle.
  say(`chaos over after ${step} steps; draining`);
  receiver.setFaulty(false);
  await target.calm();
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
      // gcp mode answers with a redirect to a signed URL, fetched without the API's credentials.
      let res = await call('GET', `/v1/renders/${job.id}/scenes/${scene.name}/video`, undefined, {}, 'manual');
      if (res.status === 302) {
        const signed = res.headers.get('location')!;
        res = await fetch(target.signedUrl?.(signed) ?? signed);
      }
      const bytes = Buffer.from(await res.arrayBuffer());
      if (res.status !== 200) {
        violation('unplayable_file', `${job.id}/${scene.name}: download answered ${res.status} ${bytes.subarray(0, 200).toString()}`);
        continue;
      }
      const file = path.join(target.dataDir, `check-${job.id}-${scene.name}.mp4`);
      fs.writeFileSync(file, bytes);
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

  // Webhooks: each finished job's event was answered 2xx (through the receiver's 503s and slow answers); no job
  // had two different events.
  let redelivered = 0;
  const webhookBound = Date.now() + 60_000;
  for (const job of tracked.filter((t) => t.webhook && views.get(t.id))) {
    const eventId = `render.finished:${job.id}`;
    while (!receiver.byEvent.has(eventId) && Date.now() < webhookBound) await sleep(200);
    if (!receiver.byEvent.has(eventId)) violation('webhook_lost', `${job.id}${receiver.byJob.has(job.id) ? ' (arrived, never answered 2xx in time)' : ''}`);
    const events = receiver.byJob.get(job.id);
    if (events && events.size > 1) violation('webhook_twice', `${job.id}: ${events.size} different events`);
  }
  for (const count of receiver.byEvent.values()) redelivered += count - 1;

  // Quotas: nothing counts as active; no blob without its job; no task left.
  for (const status of ['queued', 'rendering']) {
    const page = (await (await call('GET', `/v1/renders?status=${status}&pageSize=100`)).json()) as { jobs: JobView[] };
    for (const job of page.jobs) violation('still_active', `${job.id}: ${status}`);
  }

  // Redelivered events come only from a death between a webhook's answer and its record (or a slow answer that
  // came after the deadline): never from two deliveries posting at once.
  const mayRepeat = (target.fired()['point.webhook.after-post'] ?? 0) + (injected['kill.service'] ?? 0) + (injected['kill.ingress'] ?? 0) + receiver.faults.slow;
  if (redelivered > mayRepeat) violation('webhook_redelivered', `${redelivered} events delivered again, more than the ${mayRepeat} deaths and late answers that explain a repeat`);

  // Every job the store holds (a submit without a key whose answer was lost, retried, made one the workload never
  // saw: that is what a key is for), against the files and tasks left.
  // A task may still be retrying after its job ended (a redelivered webhook waiting out a dead sender's claim, or
  // its backoff): the queue must drain within a bound, and what is left after it is a violation.
  let inventory = await target.inventory();
  const tasksBound = Date.now() + TASKS_DRAIN_MS;
  while (inventory.tasksLeft.length > 0 && Date.now() < tasksBound) {
    await sleep(1000);
    inventory = await target.inventory();
  }
  await target.stop();
  for (const job of inventory.jobs) if (!TERMINAL.has(job.status)) violation('stuck', `${job.id}: ${job.status} (in the store)`);
  const known = new Set(inventory.jobs.map((job) => job.id));
  for (const id of inventory.blobJobs) if (!known.has(id)) violation('orphan_blobs', id);
  for (const task of inventory.tasksLeft) violation('task_left', task);

  await receiver.close();
  const figures: ChaosFigures = {
    target: target.name,
    seed: params.seed,
    minutes: params.minutes,
    jobs: tracked.length,
    storedJobs: inventory.jobs.length,
    scenes,
    faults: { ...injected, ...target.fired(), 'webhook.503': receiver.faults['503'], 'webhook.slow': receiver.faults.slow },
    terminal,
    webhooksRedelivered: redelivered,
    drainSeconds,
    violations,
  };
  const kept = target.release(Object.keys(violations).length > 0);
  if (kept) say(`data kept for inspection: ${kept}`);
  return figures;
}

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalTaskQueue, type Delivery } from '../../src/adapters/local/local-task-queue';
import { TASK_PAYLOAD_VERSION, type TaskPayload } from '../../src/contracts/task-payload';
import type { TaskSpec } from '../../src/domain/ports/task-queue';
import { createLogger } from '../../src/logging/create-logger';
import { mountSmallDisk } from '../support/small-disk';
import { describeTaskQueueContract, type DeliveryHandler } from './task-queue-contract';

const logger = createLogger({ level: 'silent' });
const RETRY = { maxAttempts: 5, minBackoffMs: 50, maxBackoffMs: 400 };
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describeTaskQueueContract('LocalTaskQueue', async (options) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-task-queue-'));
  const queue = new LocalTaskQueue({ filePath: path.join(dir, 'tasks.sqlite'), ...options, logger });
  let handler: DeliveryHandler | undefined;
  return {
    queue,
    onDelivery(h) {
      handler = h;
    },
    async start() {
      queue.start(async (payload, delivery) => {
        const answer = await handler!(payload, { taskName: delivery.taskName, retryCount: delivery.retryCount });
        if (answer === 'fail') throw new Error('the handler answered fail');
      });
    },
    async cleanup() {
      await queue.stop({ graceMs: 0 });
      queue.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('LocalTaskQueue', () => {
  let dir: string;
  let filePath: string;
  let open: LocalTaskQueue[];

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-task-queue-'));
    filePath = path.join(dir, 'tasks.sqlite');
    open = [];
  });

  afterEach(async () => {
    for (const queue of open) {
      await queue.stop({ graceMs: 0 });
      queue.close();
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function newQueue(concurrency = 1): LocalTaskQueue {
    const queue = new LocalTaskQueue({ filePath, concurrency, retry: RETRY, logger });
    open.push(queue);
    return queue;
  }

  async function closeQueue(queue: LocalTaskQueue, graceMs: number): Promise<void> {
    await queue.stop({ graceMs });
    queue.close();
    open.splice(open.indexOf(queue), 1);
  }

  function task(scene: string, dispatchDeadlineSeconds = 60): TaskSpec {
    return {
      name: `render-job1-${scene}`,
      payload: { type: 'render-scene', version: TASK_PAYLOAD_VERSION, jobId: 'job1', scene },
      dispatchDeadlineSeconds,
    };
  }

  const sceneOf = (payload: TaskPayload) => (payload.type === 'deliver-webhook' ? payload.resourceId : payload.type === 'canary-render' ? payload.canaryId : payload.scene);

  async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(10);
    }
  }

  it('delivers tasks still pending when it stopped after a new queue on the same file starts', async () => {
    const first = newQueue();
    const firstSaw: string[] = [];
    let releaseA!: () => void;
    const aBlocked = new Promise<void>((resolve) => (releaseA = resolve));
    first.start(async (payload) => {
      firstSaw.push(sceneOf(payload));
      if (sceneOf(payload) === 'A') await aBlocked;
    });
    await first.enqueue({ tasks: [task('A')] });
    await until(() => firstSaw.includes('A'), 'A');
    await first.enqueue({ tasks: [task('B')] });
    const stopping = closeQueue(first, 5000);
    releaseA(); // A finishes within the grace period; B was never started
    await stopping;
    expect(firstSaw).toEqual(['A']);

    const second = newQueue();
    const secondSaw: string[] = [];
    second.start(async (payload) => void secondSaw.push(sceneOf(payload)));
    await until(() => secondSaw.includes('B'), 'B after the restart');
    await sleep(300);
    expect(secondSaw).toEqual(['B']);
    expect(second.stats()).toEqual({ done: 2 });
  });

  it('delivers again after a restart a delivery that stop() aborted', async () => {
    const first = newQueue();
    const signals: AbortSignal[] = [];
    first.start(
      (_payload, delivery: Delivery) =>
        new Promise<void>((_resolve, reject) => {
          signals.push(delivery.signal);
          // Honours its signal, as the renderer does: gives up as soon as the queue aborts it.
          delivery.signal.addEventListener('abort', () => reject(delivery.signal.reason), { once: true });
        }),
    );
    await first.enqueue({ tasks: [task('A')] });
    await until(() => signals.length === 1, 'the first delivery');
    await closeQueue(first, 50);
    expect(signals[0]?.aborted).toBe(true);

    const second = newQueue();
    const again: Array<{ scene: string; taskName: string }> = [];
    second.start(async (payload, delivery) => void again.push({ scene: sceneOf(payload), taskName: delivery.taskName }));
    await until(() => again.length === 1, 'the delivery after the restart');
    await sleep(300);
    expect(again).toEqual([{ scene: 'A', taskName: 'render-job1-A' }]);
  });

  it('never has more deliveries in flight than its concurrency', async () => {
    const queue = newQueue(2);
    let inFlight = 0;
    let most = 0;
    const done: string[] = [];
    queue.start(async (payload) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await sleep(40);
      inFlight--;
      done.push(sceneOf(payload));
    });
    const scenes = ['A', 'B', 'C', 'D', 'E', 'F'];
    await queue.enqueue({ tasks: scenes.map((s) => task(s)) });
    await until(() => done.length === scenes.length, 'every delivery');
    expect(most).toBe(2);
    expect([...done].sort()).toEqual(scenes);
  });

  it('delivers webhooks in slots of their own: slow webhooks hold no render back, nor renders a webhook', async () => {
    const queue = new LocalTaskQueue({ filePath, concurrency: 1, webhookConcurrency: 2, retry: RETRY, logger });
    open.push(queue);
    const started: string[] = [];
    const release: Array<() => void> = [];
    let webhooksInFlight = 0;
    let mostWebhooks = 0;
    queue.start(async (payload) => {
      started.push(sceneOf(payload));
      if (payload.type !== 'deliver-webhook') return;
      webhooksInFlight++;
      mostWebhooks = Math.max(mostWebhooks, webhooksInFlight);
      await new Promise<void>((resolve) => release.push(resolve)); // a target that does not answer
      webhooksInFlight--;
    });
    const webhook = (id: string): TaskSpec => ({
      name: `webhook-${id}`,
      payload: { type: 'deliver-webhook', version: TASK_PAYLOAD_VERSION, event: 'render.finished', resourceId: id },
      dispatchDeadlineSeconds: 60,
    });
    await queue.enqueue({ tasks: ['w1', 'w2', 'w3'].map(webhook) });
    await until(() => started.length === 2, 'two webhook deliveries');
    // Both webhook slots are held by a target that does not answer: renders still go, one at a time.
    await queue.enqueue({ tasks: ['A', 'B'].map((s) => task(s)) });
    await until(() => started.includes('A') && started.includes('B'), 'the renders beside the stuck webhooks');
    expect(started).not.toContain('w3');
    expect(mostWebhooks).toBe(2);
    release.shift()!();
    await until(() => started.includes('w3'), 'the third webhook once a webhook slot is free');
    for (const resolve of release.splice(0)) resolve();
  });

  it('aborts a delivery past its dispatch deadline and retries it', async () => {
    const queue = newQueue();
    const attempts: Array<{ retryCount: number; aborted: boolean }> = [];
    queue.start(async (_payload, delivery) => {
      const seen = { retryCount: delivery.retryCount, aborted: false };
      attempts.push(seen);
      if (delivery.retryCount > 0) return;
      await new Promise<void>((resolve) => delivery.signal.addEventListener('abort', () => resolve(), { once: true }));
      seen.aborted = true;
      // Answers success after the deadline passed: still counts as a failed attempt.
    });
    await queue.enqueue({ tasks: [task('Slow', 1)] });
    await until(() => attempts.length === 2, 'the retry', 5000);
    expect(attempts).toEqual([
      { retryCount: 0, aborted: true },
      { retryCount: 1, aborted: false },
    ]);
    await until(() => queue.stats().done === 1, 'the task to be done');
  });

  it('counts tasks by state', async () => {
    const queue = newQueue();
    await queue.enqueue({ tasks: [task('A'), task('B'), task('C')] });
    await queue.deleteTasks({ names: [task('B').name] });
    expect(queue.stats()).toEqual({ pending: 2, deleted: 1 });
  });
});

describe('LocalTaskQueue on a full disk', () => {
  const task = (name: string): TaskSpec => ({ name, payload: { type: 'render-scene', version: TASK_PAYLOAD_VERSION, jobId: 'job1', scene: name }, dispatchDeadlineSeconds: 60 });
  const disk = mountSmallDisk(8 * 1024 * 1024);
  const onDisk = 'dir' in disk ? it : it.skip;
  if (!('dir' in disk)) process.stderr.write(`skipping the full-disk queue test: ${disk.unavailable}\n`);
  afterAll(() => {
    if ('dir' in disk) disk.unmount();
  });

  onDisk("keeps a task's slot while its outcome cannot be written, and records it once the disk has room", async () => {
    if (!('dir' in disk)) return;
    const queue = new LocalTaskQueue({ filePath: path.join(disk.dir, 'tasks.sqlite'), concurrency: 1, retry: RETRY, logger });
    const delivered: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    queue.start(async (_payload, delivery) => {
      delivered.push(delivery.taskName);
      if (delivery.taskName === 'first') await Promise.race([held, new Promise((resolve) => delivery.signal.addEventListener('abort', resolve))]);
    });
    try {
      await queue.enqueue({ tasks: [task('first'), task('second')] });
      while (delivered.length === 0) await sleep(10);
      disk.fill();
      // Nothing can be queued while the disk is full: the caller is told so.
      await expect(queue.enqueue({ tasks: [task('third')] })).rejects.toThrow(/full/);
      release();
      await sleep(1500);
      expect(queue.stats()).toMatchObject({ dispatching: 1, pending: 1 });
      expect(delivered).toEqual(['first']);
      disk.free();
      const deadline = Date.now() + 10_000;
      while (queue.stats().done !== 2 && Date.now() < deadline) await sleep(50);
      expect(queue.stats()).toEqual({ done: 2 });
      expect(delivered).toEqual(['first', 'second']);
    } finally {
      await queue.stop({ graceMs: 0 });
      queue.close();
    }
  }, 30_000);
});

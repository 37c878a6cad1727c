import { randomUUID } from 'node:crypto';
import { TASK_PAYLOAD_VERSION, type TaskPayload } from '../../src/contracts/task-payload';
import type { TaskQueue, TaskSpec } from '../../src/domain/ports/task-queue';
import { renderTaskName } from '../../src/domain/task-names';

/** What a delivery tells its handler, like Cloud Tasks' X-CloudTasks-TaskName and -TaskRetryCount headers. */
export interface DeliveryInfo {
  taskName: string;
  /** Attempts before this one. */
  retryCount: number;
}

/** Answers a delivery: 'ok' is a 2xx (done), 'fail' a 5xx (retry with backoff). */
export type DeliveryHandler = (payload: TaskPayload, info: DeliveryInfo) => Promise<'ok' | 'fail'>;

/** How the queue under test must be configured, as a Cloud Tasks queue's rate and retry settings would be. */
export interface TaskQueueHarnessOptions {
  /** Deliveries in flight at once (maxConcurrentDispatches). */
  concurrency: number;
  retry: { maxAttempts: number; minBackoffMs: number; maxBackoffMs: number };
}

/**
 * A queue wired to a handler. For the embedded queue, `start` is LocalTaskQueue.start with the handler; for Cloud
 * Tasks, an HTTP server the emulator calls, answering 2xx or 5xx from the handler.
 */
export interface TaskQueueHarness {
  queue: TaskQueue;
  /** Installs where deliveries go; called once, before `start`. */
  onDelivery(handler: DeliveryHandler): void;
  start(): Promise<void>;
  /** Stops delivering and removes what the harness made. Handlers blocked in a test are released first. */
  cleanup(): Promise<void>;
}

export interface TaskQueueContractTiming {
  minBackoffMs: number;
  maxBackoffMs: number;
  /** How long to keep watching for a delivery that must not happen. */
  quietMs: number;
  /** How long a delivery that must happen may take to arrive. */
  deliveryTimeoutMs: number;
  /**
   * How much shorter than minBackoffMs the first retry's gap may look: timers are not exact, and a queue that counts
   * the backoff from when the attempt was due (the Cloud Tasks emulator) shortens the gap by the first delivery's
   * own latency.
   */
  backoffSlackMs?: number;
}

/**
 * Cases a queue under test cannot pass because of a known limitation of what it runs on (an emulator), each with
 * the reason; those cases are skipped for that queue only.
 */
export interface TaskQueueLimitations {
  /** Deleting a task that is already due but waiting for a free delivery slot does not stop its delivery. */
  deleteOfDueTaskStillDelivers?: string;
}

const DEFAULT_TIMING: TaskQueueContractTiming = { minBackoffMs: 100, maxBackoffMs: 400, quietMs: 500, deliveryTimeoutMs: 5000 };

interface Received {
  payload: TaskPayload;
  info: DeliveryInfo;
  at: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The behaviour every TaskQueue must have: Cloud Tasks' at-least-once delivery with deduplicated names, retries
 * with growing backoff up to a maximum number of attempts, and deletion of tasks not yet delivered.
 */
export function describeTaskQueueContract(
  name: string,
  makeHarness: (options: TaskQueueHarnessOptions) => Promise<TaskQueueHarness>,
  timingOverrides: Partial<TaskQueueContractTiming> = {},
  limitations: TaskQueueLimitations = {},
): void {
  const timing = { ...DEFAULT_TIMING, ...timingOverrides };

  describe(`TaskQueue contract: ${name}`, () => {
    let harness: TaskQueueHarness | undefined;
    let received: Received[];
    let releaseBlocked: Array<() => void>;
    let jobId: string;

    beforeEach(() => {
      received = [];
      releaseBlocked = [];
      // Fresh names per test: a real queue remembers task names for a while after they ran.
      jobId = `j${randomUUID().replace(/-/g, '')}`;
    });

    afterEach(async () => {
      for (const release of releaseBlocked) release();
      await harness?.cleanup();
      harness = undefined;
    });

    /** Starts a queue whose handler records each delivery and answers as `answer` says. */
    async function startQueue(
      answer: (payload: TaskPayload, info: DeliveryInfo) => Promise<'ok' | 'fail'> | 'ok' | 'fail',
      options: Partial<TaskQueueHarnessOptions> = {},
    ): Promise<TaskQueue> {
      harness = await makeHarness({
        concurrency: options.concurrency ?? 4,
        retry: options.retry ?? { maxAttempts: 5, minBackoffMs: timing.minBackoffMs, maxBackoffMs: timing.maxBackoffMs },
      });
      harness.onDelivery(async (payload, info) => {
        received.push({ payload, info, at: performance.now() });
        return answer(payload, info);
      });
      await harness.start();
      return harness.queue;
    }

    function task(scene: string): TaskSpec {
      return {
        name: renderTaskName(jobId, scene),
        payload: { type: 'render-scene', version: TASK_PAYLOAD_VERSION, jobId, scene },
        dispatchDeadlineSeconds: 60,
      };
    }

    const deliveriesOf = (scene: string) => received.filter((r) => r.payload.type === 'render-scene' && r.payload.scene === scene);

    async function waitForDeliveries(scene: string, count: number): Promise<Received[]> {
      const deadline = performance.now() + timing.deliveryTimeoutMs * count;
      while (deliveriesOf(scene).length < count) {
        if (performance.now() > deadline) {
          throw new Error(`expected ${count} deliveries of ${scene}, got ${deliveriesOf(scene).length}`);
        }
        await sleep(10);
      }
      return deliveriesOf(scene);
    }

    /** A promise the handler can wait on, released by the test (or by afterEach, whatever happens). */
    function blocker(): { wait: Promise<void>; release: () => void } {
      let release!: () => void;
      const wait = new Promise<void>((resolve) => (release = resolve));
      releaseBlocked.push(release);
      return { wait, release };
    }

    it('delivers an enqueued task once, with its payload', async () => {
      const queue = await startQueue(() => 'ok');
      await queue.enqueue({ tasks: [task('Intro')] });
      const [delivery] = await waitForDeliveries('Intro', 1);
      expect(delivery?.payload).toEqual(task('Intro').payload);
      expect(delivery?.info.retryCount).toBe(0);
      expect(delivery?.info.taskName).toEqual(expect.any(String));
      await sleep(timing.quietMs);
      expect(deliveriesOf('Intro')).toHaveLength(1);
    });

    it('delivers each of several tasks enqueued together once', async () => {
      const queue = await startQueue(() => 'ok');
      const scenes = ['A', 'B', 'C', 'D', 'E'];
      await queue.enqueue({ tasks: scenes.map(task) });
      for (const scene of scenes) await waitForDeliveries(scene, 1);
      await sleep(timing.quietMs);
      expect(received.map((r) => r.payload.type === 'render-scene' && r.payload.scene).sort()).toEqual(scenes);
    });

    it('creates one task for a name enqueued twice in one call', async () => {
      const queue = await startQueue(() => 'ok');
      await queue.enqueue({ tasks: [task('Intro'), task('Intro')] });
      await waitForDeliveries('Intro', 1);
      await sleep(timing.quietMs);
      expect(deliveriesOf('Intro')).toHaveLength(1);
    });

    it('creates one task for a name enqueued again in a second call, as a retried submit does', async () => {
      const queue = await startQueue(() => 'ok');
      await queue.enqueue({ tasks: [task('Intro')] });
      await queue.enqueue({ tasks: [task('Intro')] });
      await waitForDeliveries('Intro', 1);
      await sleep(timing.quietMs);
      expect(deliveriesOf('Intro')).toHaveLength(1);
    });

    it('still recognises a name as taken after its task ran', async () => {
      const queue = await startQueue(() => 'ok');
      await queue.enqueue({ tasks: [task('Intro')] });
      await waitForDeliveries('Intro', 1);
      await queue.enqueue({ tasks: [task('Intro')] });
      await sleep(timing.quietMs);
      expect(deliveriesOf('Intro')).toHaveLength(1);
    });

    it('retries a failing delivery with growing backoff until it succeeds', async () => {
      const queue = await startQueue((_payload, info) => (info.retryCount < 2 ? 'fail' : 'ok'));
      await queue.enqueue({ tasks: [task('Intro')] });
      const deliveries = await waitForDeliveries('Intro', 3);
      expect(deliveries.map((d) => d.info.retryCount)).toEqual([0, 1, 2]);
      expect(new Set(deliveries.map((d) => d.info.taskName)).size).toBe(1);
      const [first, second, third] = deliveries.map((d) => d.at) as [number, number, number];
      expect(second - first).toBeGreaterThanOrEqual(timing.minBackoffMs - (timing.backoffSlackMs ?? 5));
      expect(third - second).toBeGreaterThan(second - first);
      await sleep(timing.maxBackoffMs * 2);
      expect(deliveriesOf('Intro')).toHaveLength(3);
    });

    it('does not deliver a task again once its handler succeeded', async () => {
      const queue = await startQueue(() => 'ok');
      await queue.enqueue({ tasks: [task('Intro')] });
      await waitForDeliveries('Intro', 1);
      await sleep(timing.maxBackoffMs * 2);
      expect(deliveriesOf('Intro')).toHaveLength(1);
    });

    (limitations.deleteOfDueTaskStillDelivers ? it.skip : it)('never delivers a task deleted before its delivery', async () => {
      const first = blocker();
      const queue = await startQueue(
        async (payload): Promise<'ok'> => {
          if (payload.type === 'render-scene' && payload.scene === 'First') await first.wait;
          return 'ok';
        },
        { concurrency: 1 },
      );
      await queue.enqueue({ tasks: [task('First')] });
      await waitForDeliveries('First', 1);
      // The only slot is busy with First, so Deleted and After wait their turn.
      await queue.enqueue({ tasks: [task('Deleted'), task('After')] });
      await queue.deleteTasks({ names: [task('Deleted').name] });
      first.release();
      await waitForDeliveries('After', 1);
      await sleep(timing.quietMs);
      expect(deliveriesOf('Deleted')).toHaveLength(0);
    });

    it('ignores deleting names it does not know', async () => {
      const queue = await startQueue(() => 'ok');
      await expect(queue.deleteTasks({ names: [renderTaskName(jobId, 'Unknown')] })).resolves.toBeUndefined();
    });

    it('says which names it still holds: waiting or being delivered, not delivered for good or never enqueued', async () => {
      const held = blocker();
      const queue = await startQueue(async (payload): Promise<'ok'> => {
        if (payload.type === 'render-scene' && payload.scene === 'Held') await held.wait;
        return 'ok';
      });
      await queue.enqueue({ tasks: [task('Done'), task('Held')] });
      await waitForDeliveries('Done', 1);
      await waitForDeliveries('Held', 1);
      await sleep(timing.quietMs);
      const names = ['Done', 'Held', 'Never'].map((scene) => task(scene).name);
      expect([...(await queue.pendingNames({ names }))]).toEqual([task('Held').name]);
      held.release();
      await sleep(timing.quietMs);
      expect([...(await queue.pendingNames({ names }))]).toEqual([]);
    });

    it('no longer holds a task whose attempts are exhausted', async () => {
      const queue = await startQueue(() => 'fail', {
        retry: { maxAttempts: 2, minBackoffMs: timing.minBackoffMs, maxBackoffMs: timing.maxBackoffMs },
      });
      await queue.enqueue({ tasks: [task('Failing')] });
      await waitForDeliveries('Failing', 2);
      await sleep(timing.quietMs);
      expect([...(await queue.pendingNames({ names: [task('Failing').name] }))]).toEqual([]);
    });

    it('stops delivering once the maximum number of attempts is reached', async () => {
      const queue = await startQueue(() => 'fail', {
        retry: { maxAttempts: 3, minBackoffMs: timing.minBackoffMs, maxBackoffMs: timing.maxBackoffMs },
      });
      await queue.enqueue({ tasks: [task('Intro')] });
      const deliveries = await waitForDeliveries('Intro', 3);
      expect(deliveries.map((d) => d.info.retryCount)).toEqual([0, 1, 2]);
      await sleep(timing.maxBackoffMs * 2 + timing.quietMs);
      expect(deliveriesOf('Intro')).toHaveLength(3);
    });
  });
}

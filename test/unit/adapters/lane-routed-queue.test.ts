import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { laneRoutedQueue } from '../../../src/adapters/lane-routed-queue';
import { LocalTaskQueue } from '../../../src/adapters/local/local-task-queue';
import { TASK_PAYLOAD_VERSION, type TaskPayload } from '../../../src/contracts/task-payload';
import { createLogger } from '../../../src/logging/create-logger';

// Two real queues behind the router (the embedded one: Cloud Tasks' behaviour is the contract suite's business).
const logger = createLogger({ level: 'silent' });
const RETRY = { maxAttempts: 3, minBackoffMs: 10, maxBackoffMs: 20 };
let dir: string;
let render: LocalTaskQueue;
let webhook: LocalTaskQueue;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lane-routed-'));
  render = new LocalTaskQueue({ filePath: path.join(dir, 'render.sqlite'), concurrency: 1, retry: RETRY, logger });
  webhook = new LocalTaskQueue({ filePath: path.join(dir, 'webhook.sqlite'), concurrency: 1, retry: RETRY, logger });
});

afterEach(() => {
  render.close();
  webhook.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const renderTask = (scene: string) => ({ name: `render-j-${scene}`, payload: { type: 'render-scene', version: TASK_PAYLOAD_VERSION, jobId: 'j', scene } as TaskPayload, dispatchDeadlineSeconds: 60 });
const webhookTask = (id: string) => ({ name: `webhook-${id}`, payload: { type: 'deliver-webhook', version: TASK_PAYLOAD_VERSION, event: 'render.finished', resourceId: id } as TaskPayload, dispatchDeadlineSeconds: 60 });

describe('laneRoutedQueue', () => {
  it('puts render tasks on the render queue and webhook deliveries on theirs, in one enqueue', async () => {
    await laneRoutedQueue({ render, webhook }).enqueue({ tasks: [renderTask('A'), webhookTask('j'), renderTask('B')] });
    expect(render.stats()).toEqual({ pending: 2 });
    expect(webhook.stats()).toEqual({ pending: 1 });
  });

  it('deletes a name from whichever queue holds it', async () => {
    const queue = laneRoutedQueue({ render, webhook });
    await queue.enqueue({ tasks: [renderTask('A'), webhookTask('j')] });
    await queue.deleteTasks({ names: ['render-j-A', 'webhook-j'] });
    expect(render.stats()).toEqual({ deleted: 1 });
    expect(webhook.stats()).toEqual({ deleted: 1 });
  });
});

import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type * as Tasks from '@google-cloud/tasks' with { 'resolution-mode': 'import' };
import { grpc } from 'google-gax';
import { readCloudTasksHeaders } from '../../src/adapters/google/cloud-tasks-headers';
import { CloudTasksQueue } from '../../src/adapters/google/cloud-tasks-queue';
import { AuthenticationError, IdTokenVerifier } from '../../src/auth/id-token-verifier';
import { TASK_PAYLOAD_VERSION, taskPayloadSchema, type TaskPayload } from '../../src/contracts/task-payload';
import type { TaskSpec } from '../../src/domain/ports/task-queue';
import { startEmulators, type Emulators } from '../support/emulators';
import { describeTaskQueueContract, type DeliveryHandler, type TaskQueueHarnessOptions } from './task-queue-contract';
import { closeServer } from '../support/close-server';

// See src/adapters/google/cloud-tasks-queue.ts: the package's CommonJS build, with its (ES module) types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { CloudTasksClient } = require('@google-cloud/tasks') as typeof Tasks;

const PROJECT = 'tasks-test';
const LOCATION = 'us-central1';
const INVOKER = 'task-invoker@tasks-test.iam.gserviceaccount.com';
const AUDIENCE = 'https://renderer.test';

let emulators: Emulators<'tasks'>;
// Queues are made here, as they are in production by the deployment (the adapter only enqueues and deletes tasks).
let admin: Tasks.CloudTasksClient;
// The renderer's own verifier, pointed at the emulator's issuer: each delivery must carry a token it accepts.
let verifier: IdTokenVerifier;

beforeAll(async () => {
  emulators = await startEmulators('tasks');
  const [servicePath, port] = emulators.tasksHost.split(':') as [string, string];
  admin = new CloudTasksClient({ servicePath, port: Number(port), sslCreds: grpc.credentials.createInsecure() });
  verifier = new IdTokenVerifier({
    issuers: [emulators.tasksIssuer],
    jwksUrl: `${emulators.tasksIssuer}/jwks`,
    audience: AUDIENCE,
    isAllowed: (identity) => identity.email === INVOKER,
  });
  // Fetch the emulator's keys now (a token naming no key makes the verifier load them, then fail), so the first
  // delivery of a test is not slower than the next: the backoff case compares the gaps between deliveries.
  await verifier.verify('Bearer e30.e30.x').catch(() => undefined);
}, 60_000);

afterAll(async () => {
  await admin?.close();
  await emulators?.stop();
});

const duration = (ms: number) => ({ seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 });

interface Endpoint {
  url: string;
  /** Deliveries refused because their token did not verify. */
  refused: string[];
  close(): Promise<void>;
}

/**
 * The renderer's side of the wire, in small: a local HTTP server the emulator POSTs tasks to. Each delivery's OIDC
 * token is verified before the handler sees it; 'ok' answers 200 and 'fail' 500, as the renderer answers 2xx or 5xx.
 */
async function startEndpoint(handle: (payload: TaskPayload, headers: http.IncomingHttpHeaders) => Promise<'ok' | 'fail'>): Promise<Endpoint> {
  const refused: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void (async () => {
        try {
          await verifier.verify(req.headers.authorization);
        } catch (error) {
          refused.push((error as Error).message);
          res.writeHead(error instanceof AuthenticationError ? error.status : 500).end();
          return;
        }
        const payload = taskPayloadSchema.parse(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        const answer = await handle(payload, req.headers).catch(() => 'fail' as const);
        res.writeHead(answer === 'ok' ? 200 : 500).end();
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/tasks`,
    refused,
    close: () => closeServer(server),
  };
}

/** A queue of its own for one test: the emulator cannot reset, and remembers task names for its lifetime. */
async function createQueue(options: TaskQueueHarnessOptions): Promise<{ id: string; remove(): Promise<void> }> {
  const id = `q-${randomUUID()}`;
  const name = admin.queuePath(PROJECT, LOCATION, id);
  await admin.createQueue({
    parent: admin.locationPath(PROJECT, LOCATION),
    queue: {
      name,
      rateLimits: { maxConcurrentDispatches: options.concurrency },
      retryConfig: {
        maxAttempts: options.retry.maxAttempts,
        minBackoff: duration(options.retry.minBackoffMs),
        maxBackoff: duration(options.retry.maxBackoffMs),
        maxDoublings: 16,
      },
    },
  });
  // Deleting (never pausing or purging: those hang or crash this emulator) stops its deliveries.
  return { id, remove: async () => void (await admin.deleteQueue({ name })) };
}

function queueFor(queueId: string, targetUrl: string, audience = AUDIENCE): CloudTasksQueue {
  return new CloudTasksQueue({
    projectId: PROJECT,
    location: LOCATION,
    queue: queueId,
    targetUrl,
    serviceAccountEmail: INVOKER,
    audience,
    emulatorHost: emulators.tasksHost,
  });
}

describeTaskQueueContract(
  'CloudTasksQueue (emulator)',
  async (options) => {
    let handler: DeliveryHandler | undefined;
    const endpoint = await startEndpoint(async (payload, headers) => {
      const delivery = readCloudTasksHeaders(headers);
      if (!handler || !delivery) return 'fail';
      return handler(payload, { taskName: delivery.taskName, retryCount: delivery.retryCount });
    });
    const queue = await createQueue(options);
    const adapter = queueFor(queue.id, endpoint.url);
    return {
      queue: adapter,
      onDelivery: (h) => void (handler = h),
      start: async () => undefined,
      async cleanup() {
        await queue.remove();
        await endpoint.close();
        await adapter.close();
        if (endpoint.refused.length > 0) throw new Error(`deliveries with a token the renderer refuses: ${endpoint.refused.join('; ')}`);
      },
    };
  },
  // Backoffs long enough that dispatch jitter does not blur the doubling the contract checks. The emulator adds the
  // backoff to the time the attempt was due, not to when it failed (scripts/emulators/README.md, quirks), so the
  // first gap is short by the first delivery's latency: a loaded machine needs more than the default slack.
  { minBackoffMs: 200, maxBackoffMs: 800, backoffSlackMs: 40 },
  {
    deleteOfDueTaskStillDelivers:
      'cloud-tasks-emulator v1.2.0 commits a task to dispatch once its schedule time passes (task.go, Task.Schedule: ' +
      'the cancel channel is no longer watched while the task waits for a free worker), so deleteTask stops only ' +
      'tasks not yet due, such as one waiting out a retry backoff (tested below)',
  },
);

describe('CloudTasksQueue', () => {
  const retry = { maxAttempts: 5, minBackoffMs: 1500, maxBackoffMs: 1500 };
  const task = (jobId: string, scene: string): TaskSpec => ({
    name: `render-${jobId}-${scene}`,
    payload: { type: 'render-scene', version: TASK_PAYLOAD_VERSION, jobId, scene },
    dispatchDeadlineSeconds: 60,
  });
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

  async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(10);
    }
  }

  it('posts the JSON payload with its content type, the hashed task name and a token for the renderer', async () => {
    const seen: Array<{ payload: TaskPayload; headers: http.IncomingHttpHeaders }> = [];
    const endpoint = await startEndpoint(async (payload, headers) => {
      seen.push({ payload, headers });
      return 'ok';
    });
    const queue = await createQueue({ concurrency: 4, retry });
    const adapter = queueFor(queue.id, endpoint.url);
    try {
      const spec = task(`j${randomUUID().replace(/-/g, '')}`, 'Intro');
      await adapter.enqueue({ tasks: [spec] });
      await until(() => seen.length === 1, 'the delivery');
      const { payload, headers } = seen[0]!;
      expect(payload).toEqual(spec.payload);
      expect(headers['content-type']).toBe('application/json');
      expect(headers['x-cloudtasks-queuename']).toBe(queue.id);
      expect(headers['x-cloudtasks-taskname']).toMatch(new RegExp(`^[0-9a-f]{32}-${spec.name}$`));
      expect(endpoint.refused).toEqual([]);
    } finally {
      await queue.remove();
      await endpoint.close();
      await adapter.close();
    }
  });

  it('deletes a task waiting out its retry backoff, so it is not delivered again', async () => {
    let deliveries = 0;
    const endpoint = await startEndpoint(async () => {
      deliveries++;
      return 'fail';
    });
    const queue = await createQueue({ concurrency: 1, retry });
    const adapter = queueFor(queue.id, endpoint.url);
    try {
      const spec = task(`j${randomUUID().replace(/-/g, '')}`, 'Intro');
      await adapter.enqueue({ tasks: [spec] });
      await until(() => deliveries === 1, 'the first delivery');
      await adapter.deleteTasks({ names: [spec.name] });
      await sleep(retry.minBackoffMs + 700);
      expect(deliveries).toBe(1);
      // Deleting it again, or a name never enqueued, is not an error.
      await expect(adapter.deleteTasks({ names: [spec.name, 'render-unknown-Intro'] })).resolves.toBeUndefined();
    } finally {
      await queue.remove();
      await endpoint.close();
      await adapter.close();
    }
  });

  it('sends tokens for the configured audience only: the renderer refuses one meant for another service', async () => {
    let handled = 0;
    const endpoint = await startEndpoint(async () => {
      handled++;
      return 'ok';
    });
    const queue = await createQueue({ concurrency: 1, retry: { ...retry, maxAttempts: 1 } });
    const adapter = queueFor(queue.id, endpoint.url, 'https://some-other-service.test');
    try {
      await adapter.enqueue({ tasks: [task(`j${randomUUID().replace(/-/g, '')}`, 'Intro')] });
      await until(() => endpoint.refused.length === 1, 'the refused delivery');
      expect(endpoint.refused[0]).toMatch(/audience|recipient/i);
      expect(handled).toBe(0);
    } finally {
      await queue.remove();
      await endpoint.close();
      await adapter.close();
    }
  });
});

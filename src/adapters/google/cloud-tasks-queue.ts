import { createHash } from 'node:crypto';
import type * as Tasks from '@google-cloud/tasks' with { 'resolution-mode': 'import' };
import { grpc } from 'google-gax';
import type { TaskQueue, TaskSpec } from '../../domain/ports/task-queue';
import type { Logger } from '../../logging/logger';
import { GrpcCode, grpcCodeOf } from './grpc-code';

export interface CloudTasksQueueOptions {
  projectId: string;
  location: string;
  /** The queue's id; its rate and retry settings are configured on the queue itself. */
  queue: string;
  /** Where each task is POSTed (the renderer's task endpoint). */
  targetUrl: string;
  /** The identity Cloud Tasks signs each request's OIDC token as; the renderer accepts only it. */
  serviceAccountEmail: string;
  /** The tokens' audience: the renderer checks it is its own. */
  audience: string;
  /** host:port of the Cloud Tasks emulator (plain-text gRPC, no credentials); unset in production. */
  emulatorHost?: string;
  logger?: Logger;
}

// @google-cloud/tasks is an ES module package with a CommonJS build whose type declarations TypeScript reads as an
// ES module's, so it refuses a plain import from this CommonJS file; require gives the CommonJS build with those types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { CloudTasksClient } = require('@google-cloud/tasks') as typeof Tasks;

/** Cloud Tasks accepts dispatch deadlines from 15 seconds to 30 minutes for HTTP targets. */
const MIN_DEADLINE_SECONDS = 15;
const MAX_DEADLINE_SECONDS = 30 * 60;
/** createTask is not retried by the client library (it is not idempotent in general); named tasks make it so. */
const CREATE_ATTEMPTS = 4;
const TRANSIENT = new Set([4 /* DEADLINE_EXCEEDED */, 14 /* UNAVAILABLE */]);

/**
 * The TaskQueue on Cloud Tasks: each task is an HTTP POST of its JSON payload to the renderer, with an OIDC token
 * for the renderer's audience. Deliveries, retries with backoff, and concurrency follow the queue's configuration.
 *
 * Task ids are derived from TaskSpec.name (see `cloudTaskId`), so enqueueing a name again finds the task that
 * exists (ALREADY_EXISTS, which counts as success) and deleting by name needs no lookup.
 */
export class CloudTasksQueue implements TaskQueue {
  private readonly client: Tasks.CloudTasksClient;
  private readonly queuePath: string;

  constructor(private readonly options: CloudTasksQueueOptions) {
    this.client = options.emulatorHost ? new CloudTasksClient(emulatorConnection(options.emulatorHost)) : new CloudTasksClient();
    this.queuePath = this.client.queuePath(options.projectId, options.location, options.queue);
  }

  /** Closes the client's channel. */
  async close(): Promise<void> {
    await this.client.close();
  }

  async enqueue({ tasks }: { tasks: TaskSpec[] }): Promise<void> {
    const unique = [...new Map(tasks.map((task) => [task.name, task])).values()];
    await Promise.all(unique.map((task) => this.create(task)));
  }

  async deleteTasks({ names }: { names: string[] }): Promise<void> {
    await Promise.all(
      [...new Set(names)].map(async (name) => {
        try {
          await this.client.deleteTask({ name: this.taskPath(name) });
        } catch (error) {
          // Unknown, already delivered, or already deleted: nothing left to delete.
          if (grpcCodeOf(error) !== GrpcCode.NOT_FOUND) throw error;
        }
      }),
    );
  }

  async pendingNames({ names }: { names: string[] }): Promise<Set<string>> {
    const found = await Promise.all(
      [...new Set(names)].map(async (name) => {
        try {
          // A task exists until it is delivered for good (or deleted); its name stays taken for a while after.
          const [task] = await this.client.getTask({ name: this.taskPath(name) });
          return (await this.isSpent(task)) ? undefined : name;
        } catch (error) {
          // Gone: never made (NOT_FOUND), or delivered for good or deleted, its name still taken (FAILED_PRECONDITION).
          const code = grpcCodeOf(error);
          if (code === GrpcCode.NOT_FOUND || code === GrpcCode.FAILED_PRECONDITION) return undefined;
          throw error;
        }
      }),
    );
    return new Set(found.filter((name) => name !== undefined));
  }

  /**
   * Whether a task has had every delivery its queue allows and the last one failed: it will never be delivered
   * again. Cloud Tasks deletes such a task; its emulator keeps listing it. Either way its work is not pending,
   * and the repair must queue it anew.
   */
  private async isSpent(task: Tasks.protos.google.cloud.tasks.v2.ITask): Promise<boolean> {
    const maxAttempts = await this.maxAttempts();
    const last = task.lastAttempt;
    if (maxAttempts === undefined || !last?.responseTime) return false; // unlimited, or its last attempt is under way
    return Number(task.dispatchCount ?? 0) >= maxAttempts && (last.responseStatus?.code ?? 0) !== 0;
  }

  private maxAttemptsRead: Promise<number | undefined> | undefined;

  /** The queue's max attempts (undefined: unlimited), read once; a failed read is tried again next time. */
  private maxAttempts(): Promise<number | undefined> {
    this.maxAttemptsRead ??= this.client.getQueue({ name: this.queuePath }).then(
      ([queue]) => {
        const attempts = Number(queue.retryConfig?.maxAttempts ?? -1);
        return attempts > 0 ? attempts : undefined;
      },
      (error: unknown) => {
        this.maxAttemptsRead = undefined;
        throw error;
      },
    );
    return this.maxAttemptsRead;
  }

  private async create(task: TaskSpec): Promise<void> {
    const request = {
      parent: this.queuePath,
      task: {
        name: this.taskPath(task.name),
        dispatchDeadline: { seconds: clampDeadline(task.dispatchDeadlineSeconds) },
        httpRequest: {
          url: this.options.targetUrl,
          httpMethod: 'POST' as const,
          headers: { 'Content-Type': 'application/json' },
          body: Buffer.from(JSON.stringify(task.payload)),
          oidcToken: { serviceAccountEmail: this.options.serviceAccountEmail, audience: this.options.audience },
        },
      },
    };
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.createTask(request);
        return;
      } catch (error) {
        const code = grpcCodeOf(error);
        // The name is taken: this task was enqueued before (a retried submit, or our own retry below).
        if (code === GrpcCode.ALREADY_EXISTS) return;
        if (code === undefined || !TRANSIENT.has(code) || attempt >= CREATE_ATTEMPTS) throw error;
        this.options.logger?.warn('createTask failed; retrying', { task: task.name, attempt, code });
        await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
      }
    }
  }

  private taskPath(name: string): string {
    return this.client.taskPath(this.options.projectId, this.options.location, this.options.queue, cloudTaskId(name));
  }
}

/**
 * The Cloud Tasks id for a task name: a hash prefix, then the name itself made safe ([A-Za-z0-9_-], at most 500
 * characters in all). The prefix spreads ids across Cloud Tasks' keyspace (sequential names, like ours that start
 * with a time-ordered job id, are what Google warns makes hot spots) and keeps ids distinct however names are
 * cut or sanitised; the readable rest shows up in logs and in the X-CloudTasks-TaskName header.
 */
export function cloudTaskId(name: string): string {
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 32);
  return `${hash}-${name.replace(/[^A-Za-z0-9_-]/g, '_')}`.slice(0, 500);
}

function clampDeadline(seconds: number): number {
  return Math.min(MAX_DEADLINE_SECONDS, Math.max(MIN_DEADLINE_SECONDS, Math.ceil(seconds)));
}

function emulatorConnection(hostPort: string): { servicePath: string; port: number; sslCreds: grpc.ChannelCredentials } {
  const separator = hostPort.lastIndexOf(':');
  const port = Number(hostPort.slice(separator + 1));
  if (separator <= 0 || !Number.isInteger(port)) throw new Error(`emulatorHost must be host:port, got ${hostPort}`);
  return { servicePath: hostPort.slice(0, separator), port, sslCreds: grpc.credentials.createInsecure() };
}

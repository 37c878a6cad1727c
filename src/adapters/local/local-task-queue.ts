import type { DatabaseSync } from 'node:sqlite';
import { taskLaneOf, taskPayloadSchema, type TaskLane, type TaskPayload } from '../../contracts/task-payload';
import type { Logger } from '../../logging/logger';
import type { TaskQueue, TaskSpec } from '../../domain/ports/task-queue';
import { inTransaction, openSqlite } from './open-sqlite';
import { retryDelayMs, type RetryPolicy } from './retry-policy';

/** What a delivery gets: like the X-CloudTasks-* headers Cloud Tasks sends with each attempt. */
export interface Delivery {
  taskName: string;
  /** Attempts before this one (X-CloudTasks-TaskRetryCount). */
  retryCount: number;
  /** Aborted when the dispatch deadline passes or the queue stops. */
  signal: AbortSignal;
}

/** Resolving means 2xx (the task is done); throwing means the attempt failed and is retried. */
export type DeliverTask = (payload: TaskPayload, delivery: Delivery) => Promise<void>;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS tasks (
    name TEXT PRIMARY KEY,
    payload TEXT NOT NULL,
    deadline_seconds INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    due_at INTEGER NOT NULL,
    state TEXT NOT NULL,
    finished_at INTEGER
  );
  CREATE INDEX IF NOT EXISTS tasks_due ON tasks (state, due_at);
  CREATE INDEX IF NOT EXISTS tasks_finished ON tasks (finished_at);
`;

// Like Cloud Tasks, a task name stays taken for a while after the task ran or was deleted, so a late
// duplicate enqueue is still recognised as a duplicate.
const TOMBSTONE_MS = 60 * 60 * 1000;

type TaskRow = { name: string; payload: string; deadline_seconds: number; attempts: number; due_at: number };

/**
 * The embedded task queue: an in-process dispatcher with Cloud Tasks' semantics, persisted in SQLite.
 * At-least-once delivery, at most `concurrency` render deliveries at a time and, beside them, at most
 * `webhookConcurrency` webhook deliveries (task-payload.ts's lanes), retries with exponential backoff up to
 * `maxAttempts`, task names deduplicated. Tasks pending or in flight when the process stops are delivered
 * again after the next start.
 */
export class LocalTaskQueue implements TaskQueue {
  private readonly db: DatabaseSync;
  private readonly inFlight = new Map<string, { done: Promise<void>; abort: AbortController; lane: TaskLane }>();
  private timer: NodeJS.Timeout | undefined;
  private deliver: DeliverTask | undefined;
  private stopping = false;
  private purgedAt = 0;

  constructor(
    private readonly params: {
      filePath: string;
      /** Render deliveries at once (scenes, parts, joins). */
      concurrency: number;
      /** Webhook deliveries at once, beside the renders (default 4). */
      webhookConcurrency?: number;
      retry: RetryPolicy;
      logger: Logger;
      now?: () => number;
    },
  ) {
    this.db = openSqlite(params.filePath);
    this.db.exec(SCHEMA);
  }

  private now(): number {
    return this.params.now ? this.params.now() : Date.now();
  }

  /** Starts dispatching. Deliveries interrupted by the last stop are pending again. */
  start(deliver: DeliverTask): void {
    this.deliver = deliver;
    this.stopping = false;
    this.db.prepare("UPDATE tasks SET state = 'pending' WHERE state = 'dispatching'").run();
    this.schedule(0);
  }

  /**
   * Stops taking tasks, waits up to `graceMs` for deliveries in flight, then aborts the rest and waits for them
   * to wind down (a handler is expected to honour its signal); those stay recorded as dispatching and are
   * delivered again after the next start.
   */
  async stop(params: { graceMs: number } = { graceMs: 0 }): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    const all = Promise.all([...this.inFlight.values()].map((f) => f.done));
    const timedOut = await Promise.race([all.then(() => false), sleep(params.graceMs).then(() => true)]);
    if (timedOut) for (const flight of this.inFlight.values()) flight.abort.abort(new Error('queue stopped'));
    await all;
  }

  close(): void {
    this.db.close();
  }

  async enqueue({ tasks }: { tasks: TaskSpec[] }): Promise<void> {
    const now = this.now();
    inTransaction(this.db, () => {
      // Old tombstones go at most once a minute: on every enqueue the purge would cost more than the enqueue.
      if (now - this.purgedAt > 60_000) {
        this.db.prepare('DELETE FROM tasks WHERE finished_at IS NOT NULL AND finished_at < ?').run(now - TOMBSTONE_MS);
        this.purgedAt = now;
      }
      const insert = this.db.prepare(
        "INSERT OR IGNORE INTO tasks (name, payload, deadline_seconds, due_at, state) VALUES (?, ?, ?, ?, 'pending')",
      );
      for (const task of tasks) insert.run(task.name, JSON.stringify(task.payload), task.dispatchDeadlineSeconds, now);
    });
    this.schedule(0);
  }

  async deleteTasks({ names }: { names: string[] }): Promise<void> {
    const mark = this.db.prepare(
      "UPDATE tasks SET state = 'deleted', finished_at = ? WHERE name = ? AND state = 'pending'",
    );
    for (const name of names) mark.run(this.now(), name);
  }

  async pendingNames({ names }: { names: string[] }): Promise<Set<string>> {
    const find = this.db.prepare("SELECT 1 FROM tasks WHERE name = ? AND state IN ('pending', 'dispatching')");
    return new Set(names.filter((name) => find.get(name) !== undefined));
  }

  /** Counts by state, for readiness reports and tests. */
  stats(): Record<string, number> {
    const rows = this.db.prepare('SELECT state, COUNT(*) AS n FROM tasks GROUP BY state').all() as Array<{
      state: string;
      n: number;
    }>;
    return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
  }

  private schedule(delayMs: number): void {
    if (this.stopping || !this.deliver) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.pump(), Math.max(0, delayMs));
    this.timer.unref?.();
  }

  private pump(): void {
    try {
      this.takeAndDispatch();
    } catch (error) {
      // The queue's own database refused a write (a full disk): nothing was taken; look again in a moment.
      this.params.logger.warn('task queue could not take a task; trying again', { error: String(error) });
      this.schedule(1000);
    }
  }

  private takeAndDispatch(): void {
    while (!this.stopping) {
      const task = this.takeDueTask();
      if (!task) break;
      this.dispatch(task);
    }
    const next = this.db
      .prepare("SELECT MIN(due_at) AS due FROM tasks WHERE state = 'pending'")
      .get() as { due: number | null };
    if (next.due !== null && this.lanesWithRoom().length > 0) this.schedule(next.due - this.now());
  }

  private capacityOf(lane: TaskLane): number {
    return lane === 'webhook' ? (this.params.webhookConcurrency ?? 4) : this.params.concurrency;
  }

  private lanesWithRoom(): TaskLane[] {
    const busy = { render: 0, webhook: 0 };
    for (const flight of this.inFlight.values()) busy[flight.lane]++;
    return (['render', 'webhook'] as const).filter((lane) => busy[lane] < this.capacityOf(lane));
  }

  /** The task due first among the lanes with a free slot, marked dispatching. */
  private takeDueTask(): (TaskRow & { lane: TaskLane }) | undefined {
    const open = new Set(this.lanesWithRoom());
    if (open.size === 0) return undefined;
    return inTransaction(this.db, () => {
      const due = this.db
        .prepare(
          "SELECT name, payload, deadline_seconds, attempts, due_at FROM tasks WHERE state = 'pending' AND due_at <= ? ORDER BY due_at, rowid",
        )
        .iterate(this.now()) as IterableIterator<TaskRow>;
      for (const row of due) {
        const lane = laneOfStored(row.payload);
        if (!open.has(lane)) continue;
        this.db.prepare("UPDATE tasks SET state = 'dispatching' WHERE name = ?").run(row.name);
        return { ...row, lane };
      }
      return undefined;
    });
  }

  private dispatch(task: TaskRow & { lane: TaskLane }): void {
    const abort = new AbortController();
    const deadline = setTimeout(
      () => abort.abort(new Error(`dispatch deadline of ${task.deadline_seconds}s passed`)),
      task.deadline_seconds * 1000,
    );
    const done = this.attempt(task, abort.signal).finally(() => {
      clearTimeout(deadline);
      this.inFlight.delete(task.name);
      this.schedule(0);
    });
    this.inFlight.set(task.name, { done, abort, lane: task.lane });
  }

  private async attempt(task: TaskRow, signal: AbortSignal): Promise<void> {
    const log = this.params.logger.child({ task: task.name, retryCount: task.attempts });
    try {
      const payload = taskPayloadSchema.parse(JSON.parse(task.payload));
      await this.deliver!(payload, { taskName: task.name, retryCount: task.attempts, signal });
      // Past its deadline an attempt counts as failed whatever it answered, as with Cloud Tasks.
      if (signal.aborted) throw signal.reason;
    } catch (error) {
      if (this.stopping && signal.aborted) return; // interrupted by shutdown: stays 'dispatching' for the next start
      const attempts = task.attempts + 1;
      if (attempts >= this.params.retry.maxAttempts) {
        log.error('task failed for the last time', { attempts, error: String(error) });
        await this.persist(log, () => this.db.prepare("UPDATE tasks SET state = 'failed', attempts = ?, finished_at = ? WHERE name = ?").run(attempts, this.now(), task.name));
        return;
      }
      const delay = retryDelayMs(this.params.retry, attempts);
      log.warn('task attempt failed; will retry', { attempts, retryInMs: delay, error: String(error) });
      await this.persist(log, () =>
        this.db
          .prepare("UPDATE tasks SET state = 'pending', attempts = ?, due_at = ? WHERE name = ? AND state = 'dispatching'")
          .run(attempts, this.now() + delay, task.name),
      );
      return;
    }
    await this.persist(log, () => this.db.prepare("UPDATE tasks SET state = 'done', finished_at = ? WHERE name = ?").run(this.now(), task.name));
  }

  /**
   * Records an attempt's outcome, trying again each second while the database refuses the write (a full disk),
   * the task keeping its slot meanwhile; a stop gives up, leaving it dispatching, so the next start delivers it again.
   */
  private async persist(log: Logger, write: () => void): Promise<void> {
    for (;;) {
      try {
        write();
        return;
      } catch (error) {
        if (this.stopping) return;
        log.warn("could not record a task's outcome; trying again", { error: String(error) });
        await sleep(1000);
      }
    }
  }
}

/** A stored task's lane; a payload that does not parse is delivered (and fails) in the render lane. */
function laneOfStored(payload: string): TaskLane {
  const parsed = taskPayloadSchema.safeParse(JSON.parse(payload));
  return parsed.success ? taskLaneOf(parsed.data) : 'render';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref?.());
}

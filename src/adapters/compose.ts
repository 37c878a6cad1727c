import fs from 'node:fs';
import path from 'node:path';
import type { ApiDeps, ReadinessReport } from '../api/deps';
import { APP_ROOT, type Config } from '../config/config';
import { systemClock } from '../domain/ports/clock';
import type { Logger } from '../logging/logger';
import { handleTask } from '../renderer/handle-task';
import { ManimSceneRenderer } from '../renderer/manim-scene-renderer';
import { pythonLaunch } from '../renderer/worker/python-launch';
import { WarmWorkerPool } from '../renderer/worker/warm-worker-pool';
import { FileBlobStore } from './local/file-blob-store';
import { LocalTaskQueue } from './local/local-task-queue';
import { SqliteJobStore } from './local/sqlite-job-store';
import { PythonSceneInspector } from './python/python-scene-inspector';
import { timeOrderedIds } from './time-ordered-ids';

/** A composed service: the API's dependencies, and the background work to start and stop around serving. */
export interface ComposedService {
  api: ApiDeps;
  start(): void;
  /** Stops taking work; renders in flight get `graceMs` to finish, then are handed back to the queue. */
  stop(params: { graceMs: number }): Promise<void>;
}

const PYTHON_PATH = path.join(APP_ROOT, 'python');

/**
 * The composition root of local mode: ingress and renderer in one process on the embedded adapters
 * (SQLite job store, in-process task queue, files under DATA_DIR).
 */
export function composeLocalService(config: Config, logger: Logger): ComposedService {
  const dataDir = config.DATA_DIR;
  const workRoot = path.join(dataDir, 'work');
  // Render directories left by a process that died are of no use to anyone.
  fs.rmSync(workRoot, { recursive: true, force: true });

  const jobStore = new SqliteJobStore({ filePath: path.join(dataDir, 'jobs.sqlite') });
  const blobStore = new FileBlobStore({ rootDir: path.join(dataDir, 'blobs') });
  const retry = {
    maxAttempts: config.TASK_MAX_ATTEMPTS,
    minBackoffMs: config.TASK_MIN_BACKOFF_MS,
    maxBackoffMs: config.TASK_MAX_BACKOFF_MS,
  };
  const taskQueue = new LocalTaskQueue({
    filePath: path.join(dataDir, 'tasks.sqlite'),
    concurrency: config.RENDER_CONCURRENCY,
    retry,
    logger: logger.child({ component: 'task-queue' }),
  });
  const inspector = new PythonSceneInspector({ python: config.PYTHON, pythonPath: PYTHON_PATH });
  const pool = new WarmWorkerPool({
    workRoot,
    makeLaunch: (workDir) => pythonLaunch({ python: config.PYTHON, pythonPath: PYTHON_PATH, workDir }),
    keepWarm: config.WARM_WORKER,
    logCapBytes: config.MAX_LOG_BYTES,
    startupTimeoutMs: 60_000,
    logger,
  });
  const renderer = new ManimSceneRenderer({ pool, maxOutputBytes: config.MAX_OUTPUT_BYTES });
  const renderDeps = {
    jobStore,
    blobStore,
    renderer,
    clock: systemClock,
    logger: logger.child({ component: 'renderer' }),
    heartbeatMs: 1000,
    seed: config.RENDER_SEED,
  };

  const readiness = async (): Promise<ReadinessReport> => {
    const python = fs.existsSync(config.PYTHON);
    return {
      ready: python,
      checks: { python: { ok: python, ...(python ? {} : { detail: `${config.PYTHON} is missing: run npm run setup` }) } },
    };
  };

  return {
    api: {
      jobStore,
      taskQueue,
      blobStore,
      inspector,
      ids: timeOrderedIds(),
      clock: systemClock,
      logger,
      limits: {
        maxCodeBytes: config.MAX_CODE_BYTES,
        defaultTimeoutSeconds: config.DEFAULT_TIMEOUT_SECONDS,
        maxTimeoutSeconds: config.MAX_TIMEOUT_SECONDS,
      },
      readiness,
      signedUrlSeconds: 3600,
    },
    start() {
      pool.warmUp();
      taskQueue.start((payload, delivery) =>
        handleTask(renderDeps, payload, { ...delivery, maxAttempts: retry.maxAttempts }),
      );
    },
    async stop({ graceMs }) {
      await taskQueue.stop({ graceMs });
      await pool.close();
      inspector.close();
      taskQueue.close();
      jobStore.close();
    },
  };
}

import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Storage } from '@google-cloud/storage';
import type * as Tasks from '@google-cloud/tasks' with { 'resolution-mode': 'import' };
import { grpc } from 'google-gax';
import { FirestoreApiKeyStore } from '../adapters/google/firestore-api-key-store';
import { mintApiKey } from '../auth/api-keys';
import { startEmulators, type Emulators } from './emulators';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { CloudTasksClient } = require('@google-cloud/tasks') as typeof Tasks;

const ROOT = path.resolve(__dirname, '..', '..');
const MAIN = path.join(ROOT, 'dist', 'main.js');

export interface EmulatedStackOptions {
  port: number;
  rendererPort: number;
  dataDir: string;
  projectId?: string;
  /** Extra settings for both services (e.g. a short timeout in tests). */
  env?: Record<string, string>;
  /** Where the services' output goes: inherited (a terminal) or discarded (tests). */
  output?: 'inherit' | 'ignore';
  taskRetry?: { maxAttempts: number; minBackoffSeconds: number; maxBackoffSeconds: number };
  /**
   * How each role's process is started from its settings; by default `node dist/main.js` on this machine with
   * them as its environment. The image test starts each role in a container of the image instead.
   */
  launch?: (role: 'ingress' | 'renderer', settings: Record<string, string>) => { command: string; args: string[]; env?: Record<string, string> };
  /** How long each role may take to answer /healthz (default 60 s). */
  startTimeoutMs?: number;
  /**
   * The addresses the services use for the emulators, when something stands between them (the chaos suite's
   * fault proxy); by default the emulators' own.
   */
  route?: (emulators: Emulators<'firestore' | 'gcs' | 'tasks'>) => Promise<{ firestoreHost: string; gcsEndpoint: string; tasksHost: string }>;
  /** Where Cloud Tasks is told to post render tasks (default: the renderer itself); the renderer's token audience. */
  rendererTargetUrl?: string;
}

export interface EmulatedStack {
  ingressUrl: string;
  rendererUrl: string;
  emulators: Emulators<'firestore' | 'gcs' | 'tasks'>;
  settings: Record<string, string>;
  /** An API key for the ingress (principal `emulated`), created at start. */
  apiKey: string;
  /** The processes started for each role (the launcher's, when `launch` is given). */
  pids(): { ingress: number; renderer: number };
  /** Kills the renderer at once (SIGKILL), as a crash would. */
  killRenderer(): Promise<void>;
  /** Kills one role at once (SIGKILL); `startRole` brings it back. */
  kill(role: 'ingress' | 'renderer'): Promise<void>;
  /** Creates the queues again (after the tasks emulator restarted empty). */
  createQueues(): Promise<void>;
  /** Whether a role's process is still running (it may have died on its own). */
  alive(role: 'ingress' | 'renderer'): boolean;
  /** Changes both roles' settings for their next start. */
  configure(patch: Record<string, string>): void;
  startRenderer(): Promise<void>;
  /** Stops one role as Cloud Run stops an instance (SIGTERM, then its grace), and starts it again. */
  stopRole(role: 'ingress' | 'renderer'): Promise<void>;
  /** Starts a stopped role; resolves once it answers /healthz. */
  startRole(role: 'ingress' | 'renderer'): Promise<void>;
  stop(): Promise<void>;
}

interface Service {
  child: ChildProcess;
  exited: Promise<void>;
}

/**
 * The production shape on one machine: the Firestore, Cloud Storage and Cloud Tasks emulators, then the ingress
 * and the renderer as two processes of the built service in gcp mode. The tasks emulator calls the renderer with
 * OIDC tokens signed by its own key, which the renderer is configured to trust.
 */
export async function startEmulatedStack(options: EmulatedStackOptions): Promise<EmulatedStack> {
  if (!options.launch && !fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build first`);
  const projectId = options.projectId ?? 'manim-render-local';
  const location = 'us-central1';
  const queue = 'manim-render';
  const webhookQueue = 'manim-webhooks';
  const bucket = 'manim-render-local';
  const invoker = `tasks-invoker@${projectId}.iam.gserviceaccount.com`;
  fs.mkdirSync(options.dataDir, { recursive: true });

  const emulators = await startEmulators('firestore', 'gcs', 'tasks');
  try {
    const signingKeyFile = writeSigningKey(options.dataDir, projectId);
    await new Storage({ projectId, apiEndpoint: emulators.gcsEndpoint }).createBucket(bucket);
    const createQueues = async () => {
      await createQueue(emulators.tasksHost, projectId, location, queue, options.taskRetry);
      await createQueue(emulators.tasksHost, projectId, location, webhookQueue, options.taskRetry, 10);
    };
    await createQueues();
    const apiKey = await createApiKey(projectId, emulators.firestoreHost);
    const routes = (await options.route?.(emulators)) ?? emulators;

    const rendererOwnUrl = `http://127.0.0.1:${options.rendererPort}`;
    const taskTargetUrl = options.rendererTargetUrl ?? rendererOwnUrl;
    const ingressUrl = `http://127.0.0.1:${options.port}`;
    const shared: Record<string, string> = {
      MODE: 'gcp',
      HOST: '127.0.0.1',
      GOOGLE_CLOUD_PROJECT: projectId,
      BUCKET: bucket,
      TASKS_LOCATION: location,
      TASKS_QUEUE: queue,
      WEBHOOK_QUEUE: webhookQueue,
      INGRESS_URL: ingressUrl,
      TASKS_INVOKER_SA: invoker,
      RENDERER_URL: taskTargetUrl,
      OIDC_ISSUER: emulators.tasksIssuer,
      OIDC_JWKS_URL: `${emulators.tasksIssuer}/jwks`,
      FIRESTORE_EMULATOR_HOST: routes.firestoreHost,
      CLOUD_TASKS_EMULATOR_HOST: routes.tasksHost,
      GCS_API_ENDPOINT: routes.gcsEndpoint,
      GCS_SIGNING_KEY_FILE: signingKeyFile,
      METADATA_SERVER_DETECTION: 'none',
      TASK_MAX_ATTEMPTS: String(options.taskRetry?.maxAttempts ?? 5),
      ...options.env,
    };
    let rendererSettings = { ...shared, ROLE: 'renderer', PORT: String(options.rendererPort), DATA_DIR: path.join(options.dataDir, 'renderer') };
    let ingressSettings = { ...shared, ROLE: 'ingress', PORT: String(options.port), DATA_DIR: path.join(options.dataDir, 'ingress') };

    const start = (role: 'ingress' | 'renderer') =>
      startService(role, role === 'renderer' ? rendererSettings : ingressSettings, role === 'renderer' ? rendererOwnUrl : ingressUrl, options);
    let renderer = await start('renderer');
    let ingress = await start('ingress').catch(async (error: unknown) => {
      renderer.child.kill('SIGTERM');
      await renderer.exited;
      throw error;
    });
    const kill = async (role: 'ingress' | 'renderer') => {
      const service = role === 'renderer' ? renderer : ingress;
      service.child.kill('SIGKILL');
      await service.exited;
    };
    return {
      ingressUrl,
      rendererUrl: rendererOwnUrl,
      emulators,
      settings: shared,
      apiKey,
      pids: () => ({ ingress: ingress.child.pid ?? 0, renderer: renderer.child.pid ?? 0 }),
      killRenderer: () => kill('renderer'),
      kill,
      createQueues,
      alive(role) {
        const { child } = role === 'renderer' ? renderer : ingress;
        return child.exitCode === null && child.signalCode === null;
      },
      configure(patch) {
        rendererSettings = { ...rendererSettings, ...patch };
        ingressSettings = { ...ingressSettings, ...patch };
      },
      async startRenderer() {
        renderer = await start('renderer');
      },
      async stopRole(role) {
        const service = role === 'renderer' ? renderer : ingress;
        service.child.kill('SIGTERM');
        await service.exited;
      },
      async startRole(role) {
        if (role === 'renderer') renderer = await start('renderer');
        else ingress = await start('ingress');
      },
      async stop() {
        for (const service of [ingress, renderer]) service.child.kill('SIGTERM');
        await Promise.all([ingress.exited, renderer.exited]);
        await emulators.stop();
      },
    };
  } catch (error) {
    await emulators.stop();
    throw error;
  }
}

async function createApiKey(projectId: string, firestoreHost: string): Promise<string> {
  const store = new FirestoreApiKeyStore({ projectId, emulatorHost: firestoreHost });
  try {
    const { key, record } = mintApiKey({ principal: 'emulated', now: new Date() });
    await store.putKey({ record });
    return key;
  } finally {
    await store.close();
  }
}

/** The storage emulator signs URLs with any key; production signs through IAM signBlob instead. */
function writeSigningKey(dataDir: string, projectId: string): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const file = path.join(dataDir, 'emulator-signing-key.json');
  const key = {
    type: 'service_account',
    client_email: `manim-api@${projectId}.iam.gserviceaccount.com`,
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
  fs.writeFileSync(file, JSON.stringify(key), { mode: 0o600 });
  return file;
}

async function createQueue(
  host: string,
  projectId: string,
  location: string,
  queue: string,
  retry = { maxAttempts: 5, minBackoffSeconds: 1, maxBackoffSeconds: 10 },
  maxConcurrentDispatches = 1,
): Promise<void> {
  const [servicePath, port] = host.split(':');
  const client = new CloudTasksClient({ servicePath, port: Number(port), sslCreds: grpc.credentials.createInsecure() });
  try {
    await client.createQueue({
      parent: client.locationPath(projectId, location),
      queue: {
        name: client.queuePath(projectId, location, queue),
        rateLimits: { maxConcurrentDispatches },
        retryConfig: {
          maxAttempts: retry.maxAttempts,
          minBackoff: { seconds: retry.minBackoffSeconds },
          maxBackoff: { seconds: retry.maxBackoffSeconds },
          maxDoublings: 4,
        },
      },
    });
  } finally {
    await client.close();
  }
}

async function startService(
  role: 'ingress' | 'renderer',
  settings: Record<string, string>,
  url: string,
  options: Pick<EmulatedStackOptions, 'launch' | 'output' | 'startTimeoutMs'>,
): Promise<Service> {
  const output = options.output ?? 'inherit';
  const launch = options.launch?.(role, settings) ?? {
    command: process.execPath,
    args: [MAIN],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...settings },
  };
  const child = spawn(launch.command, launch.args, { env: launch.env ?? { PATH: process.env.PATH ?? '/usr/bin:/bin' }, stdio: ['ignore', output, output] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let gone = false;
  void exited.then(() => (gone = true));
  const timeoutMs = options.startTimeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (gone) throw new Error(`the ${role} exited during start-up`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the ${role} did not answer /healthz within ${timeoutMs / 1000} s`);
    }
    try {
      if ((await fetch(`${url}/healthz`)).ok) return { child, exited };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

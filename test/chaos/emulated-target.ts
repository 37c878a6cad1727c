import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Storage } from '@google-cloud/storage';
import type * as Tasks from '@google-cloud/tasks' with { 'resolution-mode': 'import' };
import { grpc } from 'google-gax';
import { createFirestoreClient } from '../../src/adapters/google/firestore-client';
import { JOBS_COLLECTION } from '../../src/adapters/google/firestore-job-queries';
import { gcpJobStore, gcpTaskQueue } from '../../src/adapters/compose-gcp';
import { loadConfig } from '../../src/config/config';
import { systemClock } from '../../src/domain/ports/clock';
import { repairLostWork } from '../../src/domain/repair/repair-lost-work';
import { createLogger } from '../../src/logging/create-logger';
import { startEmulatedStack, type EmulatedStack } from '../../src/dev/emulated-stack';
import { freePort } from '../support/emulators';
import type { ChaosFault, ChaosTarget } from './chaos-target';
import { startDeliveryProxy, type DeliveryProxy } from './delivery-proxy';
import { FAULT_POINTS, SERVICE_SETTINGS } from './fault-plan';
import { seededRandom } from './seeded-random';
import { killRenderWorker } from './service-process';
import { Toxiproxy, type Toxic } from './toxiproxy';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { CloudTasksClient } = require('@google-cloud/tasks') as typeof Tasks;

const STORES = ['firestore', 'gcs', 'tasks'] as const;
type Store = (typeof STORES)[number];

/** What a store's link does while a toxic is on it, chosen at random: slow, cut, silent. */
const TOXICS: Array<{ name: string; toxic: Toxic }> = [
  { name: 'latency', toxic: { type: 'latency', attributes: { latency: 800, jitter: 400 } } },
  { name: 'reset', toxic: { type: 'reset_peer', attributes: { timeout: 200 }, toxicity: 0.5 } },
  { name: 'timeout', toxic: { type: 'timeout', attributes: { timeout: 3000 }, toxicity: 0.5 } },
];

/**
 * The gcp stack under chaos: the ingress and the renderer as processes of their own in gcp mode on the Firestore,
 * Cloud Storage and Cloud Tasks emulators, with Toxiproxy between the services and each emulator and a delivery
 * proxy where Cloud Tasks posts render tasks. Faults: either role SIGKILLed (at its fault points too) and started
 * again, a render worker killed, a store's link made slow, cut or silent, a store down for seconds, the Cloud Tasks
 * emulator restarted (its queues and tasks lost: the repair path brings the work back), render tasks delivered
 * twice or late or answered 503.
 */
export async function emulatedTarget(params: { seed: number; log: (line: string) => void }): Promise<ChaosTarget> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'manim-render-chaos-gcp-'));
  const toxiproxy = await Toxiproxy.start();
  const rendererPort = await freePort();
  const delivery: DeliveryProxy = await startDeliveryProxy({ target: `http://127.0.0.1:${rendererPort}`, random: seededRandom(params.seed ^ 0xde11), lateMs: 12_000 });
  // gcp mode posts webhooks only to public https addresses, which a test receiver is not: no webhooks here (the
  // embedded default's run has them). The renderer takes one render at a time, as on Cloud Run.
  const { RENDER_CONCURRENCY: _concurrency, WEBHOOK_ALLOW_PRIVATE_TARGETS: _private, ...settings } = SERVICE_SETTINGS;
  const faultEnv = { MANIM_RENDER_FAULTS: JSON.stringify({ seed: params.seed, points: FAULT_POINTS }) };
  const stack: EmulatedStack = await startEmulatedStack({
    port: await freePort(),
    rendererPort,
    dataDir,
    // CHAOS_VERBOSE=1: the services' own logs on this process's output.
    output: process.env.CHAOS_VERBOSE ? 'inherit' : 'ignore',
    taskRetry: { maxAttempts: 30, minBackoffSeconds: 1, maxBackoffSeconds: 5 },
    rendererTargetUrl: delivery.url,
    env: { ...settings, ...faultEnv },
    async route(emulators) {
      return {
        firestoreHost: await toxiproxy.proxy('firestore', emulators.firestoreHost),
        gcsEndpoint: `http://${await toxiproxy.proxy('gcs', new URL(emulators.gcsEndpoint).host)}`,
        tasksHost: await toxiproxy.proxy('tasks', emulators.tasksHost),
      };
    },
  });
  const scheduler = startRepairScheduler({ ...stack.settings, ROLE: 'ingress', DATA_DIR: path.join(dataDir, 'scheduler') });
  const fired: Record<string, number> = { restarts: 0 };
  const count = (kind: string) => (fired[kind] = (fired[kind] ?? 0) + 1);
  /** A role killed is started again after a moment, as Cloud Run starts a new instance. */
  const down = new Set<'ingress' | 'renderer'>();
  /** Starts a role that is down (marked in `down` by the caller) again, and says when it could not. */
  const restart = (role: 'ingress' | 'renderer') =>
    void stack
      .startRole(role)
      .then(() => count('restarts'))
      .catch((error: unknown) => params.log(`${role} did not start again: ${(error as Error).message}`))
      .finally(() => down.delete(role));
  const killAndRestart = async (role: 'ingress' | 'renderer', rng: { int(n: number): number }) => {
    if (down.has(role)) return;
    down.add(role);
    await stack.kill(role);
    setTimeout(() => restart(role), 200 + rng.int(2000));
  };
  // A role that died on its own (at a fault point) is started again too, as Cloud Run replaces a crashed instance.
  const watchdog = setInterval(() => {
    for (const role of ['ingress', 'renderer'] as const) {
      if (down.has(role) || stack.alive(role) || calming) continue;
      down.add(role);
      count(`died.${role}`);
      restart(role);
    }
  }, 250);
  let calming = false;
  const toxicsOn = new Set<string>();
  const faults: ChaosFault[] = [
    { name: 'kill.ingress', weight: 4, inject: (rng) => killAndRestart('ingress', rng) },
    { name: 'kill.renderer', weight: 4, inject: (rng) => killAndRestart('renderer', rng) },
    {
      name: 'kill.worker',
      weight: 5,
      inject: async (rng) => killRenderWorker(dataDir, (pids) => rng.pick(pids)),
    },
    {
      name: 'store.toxic',
      weight: 5,
      async inject(rng) {
        const store: Store = rng.pick(STORES);
        const { name, toxic } = rng.pick(TOXICS);
        const key = `${store}-${name}`;
        if (toxicsOn.has(key)) return;
        toxicsOn.add(key);
        count(`toxic.${store}.${name}`);
        await toxiproxy.addToxic(store, key, toxic);
        setTimeout(() => void toxiproxy.removeToxic(store, key).finally(() => toxicsOn.delete(key)), 2000 + rng.int(6000)).unref();
      },
    },
    {
      name: 'store.down',
      weight: 2,
      async inject(rng) {
        const store: Store = rng.pick(STORES);
        count(`down.${store}`);
        await toxiproxy.setEnabled(store, false);
        setTimeout(() => void toxiproxy.setEnabled(store, true), 1000 + rng.int(4000)).unref();
      },
    },
    {
      name: 'restart.tasks-emulator',
      weight: 1,
      async inject() {
        await stack.emulators.restart('tasks');
        await stack.createQueues();
      },
    },
  ];
  return {
    name: 'emulated',
    webhooks: false,
    url: stack.ingressUrl,
    headers: { 'x-api-key': stack.apiKey },
    dataDir,
    faults,
    // fake-gcs-server serves a path-style URL only under its own host name, which the fault proxy's is not.
    signedUrl: (url) => {
      const direct = new URL(url);
      const emulator = new URL(stack.emulators.gcsEndpoint);
      direct.host = emulator.host;
      return direct.toString();
    },
    async start() {
      delivery.setFaulty(true);
    },
    async calm() {
      calming = true;
      clearInterval(watchdog);
      delivery.setFaulty(false);
      await toxiproxy.reset();
      toxicsOn.clear();
      while (down.size > 0) await new Promise((r) => setTimeout(r, 200));
      for (const role of ['ingress', 'renderer'] as const) {
        await stack.stopRole(role);
      }
      // Started again without fault points.
      stack.configure({ MANIM_RENDER_FAULTS: '' });
      await stack.startRole('renderer');
      await stack.startRole('ingress');
    },
    async inventory() {
      const projectId = stack.settings.GOOGLE_CLOUD_PROJECT!;
      const db = createFirestoreClient({ projectId, emulatorHost: stack.emulators.firestoreHost });
      const snapshot = await db.collection(JOBS_COLLECTION).select('status').get();
      const jobs = snapshot.docs.map((doc) => ({ id: doc.id, status: String(doc.get('status')) }));
      await db.terminate();
      const storage = new Storage({ projectId, apiEndpoint: stack.emulators.gcsEndpoint });
      const [files] = await storage.bucket(stack.settings.BUCKET!).getFiles({ prefix: 'jobs/' });
      const blobJobs = [...new Set(files.map((file) => file.name.split('/')[1]!))];
      const [servicePath, port] = stack.emulators.tasksHost.split(':');
      const tasks = new CloudTasksClient({ servicePath, port: Number(port), sslCreds: grpc.credentials.createInsecure() });
      const tasksLeft: string[] = [];
      for (const queue of [stack.settings.TASKS_QUEUE!, stack.settings.WEBHOOK_QUEUE!]) {
        const [listed] = await tasks.listTasks({ parent: tasks.queuePath(projectId, stack.settings.TASKS_LOCATION!, queue) });
        tasksLeft.push(...listed.map((task) => String(task.name).split('/').pop()!));
      }
      await tasks.close();
      return { jobs, blobJobs, tasksLeft };
    },
    fired: () => ({ ...fired, 'repair.requeued': scheduler.requeued, ...Object.fromEntries(Object.entries(delivery.faults).map(([k, v]) => [`delivery.${k}`, v])) }),
    async stop() {
      clearInterval(watchdog);
      await scheduler.stop();
      await stack.stop();
      await delivery.close();
      await toxiproxy.stop();
    },
    release(keep) {
      if (keep) return dataDir;
      fs.rmSync(dataDir, { recursive: true, force: true });
      return undefined;
    },
  };
}

/**
 * Cloud Scheduler's `manim-repair` job, every 2 s instead of every 10 minutes: the repair of lost work (what
 * `manim-render repair` and the ingress's /tasks/repair run) over the same stores the services use.
 */
function startRepairScheduler(settings: Record<string, string>): { requeued: number; stop(): Promise<void> } {
  const config = loadConfig(settings);
  const jobStore = gcpJobStore(config);
  const taskQueue = gcpTaskQueue(config);
  const logger = createLogger({ level: 'silent' });
  const state = { requeued: 0, stopped: false };
  const loop = (async () => {
    while (!state.stopped) {
      try {
        const report = await repairLostWork({ jobStore, taskQueue, clock: systemClock, logger }, { staleAfterMs: config.REPAIR_AFTER_SECONDS * 1000 });
        state.requeued += report.requeued + report.splitsResumed;
      } catch {
        // a store down or slow: the next run tries again, as the next scheduled one would
      }
      await new Promise((r) => setTimeout(r, 2000));
    }
  })();
  return {
    get requeued() {
      return state.requeued;
    },
    async stop() {
      state.stopped = true;
      await loop;
      await jobStore.close();
    },
  };
}

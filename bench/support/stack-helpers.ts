import path from 'node:path';
import { REPO } from './service-process';

/*
 * Pieces of the built service the ingress benchmark drives directly, loaded from dist/ at run time (bench/ never
 * imports src/: see bench/tsconfig.json). The types are the slices used here.
 */

/** API keys minted straight into the service's key store before it starts (as `manim-render keys create` does). */
export async function mintKeys(dataDir: string, count: number): Promise<string[]> {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { mintApiKey } = require(path.join(REPO, 'dist', 'auth', 'api-keys.js')) as { mintApiKey(p: { principal: string; now: Date }): { key: string; record: unknown } };
  const { SqliteApiKeyStore } = require(path.join(REPO, 'dist', 'adapters', 'local', 'sqlite-api-key-store.js')) as {
    SqliteApiKeyStore: new (p: { filePath: string }) => { putKey(p: { record: unknown }): Promise<void>; close(): void };
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
  const store = new SqliteApiKeyStore({ filePath: path.join(dataDir, 'api-keys.sqlite') });
  try {
    const keys: string[] = [];
    for (let i = 0; i < count; i++) {
      const { key, record } = mintApiKey({ principal: `bench-${i}`, now: new Date() });
      await store.putKey({ record });
      keys.push(key);
    }
    return keys;
  } finally {
    store.close();
  }
}

/** The slice of src/dev/emulated-stack.ts used here (loaded from dist/, as `npm run start:emulated` does). */
export interface EmulatedStack {
  ingressUrl: string;
  rendererUrl: string;
  apiKey: string;
  settings: Record<string, string>;
  pids(): { ingress: number; renderer: number };
  stopRole(role: 'ingress' | 'renderer'): Promise<void>;
  startRole(role: 'ingress' | 'renderer'): Promise<void>;
  stop(): Promise<void>;
}
export type StartEmulatedStack = (options: {
  port: number;
  rendererPort: number;
  dataDir: string;
  env?: Record<string, string>;
  output?: 'inherit' | 'ignore';
  launch?: (role: 'ingress' | 'renderer', settings: Record<string, string>) => { command: string; args: string[]; env?: Record<string, string> };
  startTimeoutMs?: number;
}) => Promise<EmulatedStack>;

/** Pauses the stack's Cloud Tasks queue: tasks are accepted and kept, none is dispatched. */
export async function pauseQueue(stack: EmulatedStack): Promise<void> {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { CloudTasksClient } = require('@google-cloud/tasks') as {
    CloudTasksClient: new (options: object) => { queuePath(p: string, l: string, q: string): string; pauseQueue(r: { name: string }): Promise<unknown>; close(): Promise<void> };
  };
  const { grpc } = require('google-gax') as { grpc: { credentials: { createInsecure(): unknown } } };
  /* eslint-enable @typescript-eslint/no-require-imports */
  const [servicePath, port] = stack.settings.CLOUD_TASKS_EMULATOR_HOST!.split(':');
  const client = new CloudTasksClient({ servicePath, port: Number(port), sslCreds: grpc.credentials.createInsecure() });
  try {
    const { GOOGLE_CLOUD_PROJECT, TASKS_LOCATION, TASKS_QUEUE } = stack.settings;
    await client.pauseQueue({ name: client.queuePath(GOOGLE_CLOUD_PROJECT!, TASKS_LOCATION!, TASKS_QUEUE!) });
  } finally {
    await client.close();
  }
}


export function loadEmulatedStack(): StartEmulatedStack {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require(path.join(REPO, 'dist', 'dev', 'emulated-stack.js')) as { startEmulatedStack: StartEmulatedStack }).startEmulatedStack;
}

/** How the production image is run as a container (src/dev/image-container.ts, loaded from dist/). */
export function loadImageContainer(): { IMAGE: string; imageExists(): boolean; imageRoleLauncher(secretsDir: string): NonNullable<Parameters<StartEmulatedStack>[0]['launch']> } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(REPO, 'dist', 'dev', 'image-container.js')) as ReturnType<typeof loadImageContainer>;
}

/** An inclusive range of animation indices, as src/domain/split/partition.ts makes them. */
export interface AnimationRange {
  from: number;
  upto: number;
  seconds: number;
}

/** The service's own partition of a scene's animations into balanced ranges (loaded from dist/). */
export function loadPartition(): (runTimes: number[], k: number) => AnimationRange[] {
  /* eslint-disable-next-line @typescript-eslint/no-require-imports */
  return (require(path.join(REPO, 'dist', 'domain', 'split', 'partition.js')) as { partition: (runTimes: number[], k: number) => AnimationRange[] }).partition;
}

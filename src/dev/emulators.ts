import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

/**
 * Starts the Google Cloud emulators the contract suites run the Google adapters on (scripts/emulators/README.md):
 * each on free ports, waited for as the README says, stopped by `stop()` and, whatever happens, when the test
 * process goes away. A suite starts only the emulators it needs.
 */

// src/dev and dist/dev are both two levels below the repository root.
const SCRIPTS = path.join(__dirname, '..', '..', 'scripts', 'emulators');
const READY_TIMEOUT_MS = 30_000;
const START_ATTEMPTS = 3;

export interface EmulatorAddresses {
  /** host:port of the Firestore emulator. */
  firestore: { firestoreHost: string };
  /** http://host:port of fake-gcs-server (the Storage client's `apiEndpoint`). */
  gcs: { gcsEndpoint: string };
  /** host:port of the Cloud Tasks emulator's gRPC API, and the issuer of the OIDC tokens it attaches. */
  tasks: { tasksHost: string; tasksIssuer: string };
}
export type EmulatorName = keyof EmulatorAddresses;

type Intersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;
export type Emulators<N extends EmulatorName> = Intersection<EmulatorAddresses[N]> & {
  stop(): Promise<void>;
  /**
   * Stops one emulator and starts it again on the same addresses, as an outage would: what it held in memory is
   * gone (the Cloud Tasks emulator's queues and tasks, for one).
   */
  restart(name: N): Promise<void>;
};

interface Running<A> {
  name: EmulatorName;
  addresses: A;
  stop(): Promise<void>;
  restart?(): Promise<void>;
}

/**
 * Starts the named emulators in parallel. While any is running, METADATA_SERVER_DETECTION is `none` (the clients
 * would otherwise probe the GCE metadata server); `stop()` restores it.
 */
export async function startEmulators<N extends EmulatorName>(...names: N[]): Promise<Emulators<N>> {
  const previousDetection = process.env.METADATA_SERVER_DETECTION;
  process.env.METADATA_SERVER_DETECTION = 'none';
  const starters: { [K in EmulatorName]: () => Promise<Running<EmulatorAddresses[K]>> } = {
    firestore: startFirestore,
    gcs: startGcs,
    tasks: startTasks,
  };
  const started = await Promise.allSettled(names.map((name) => starters[name]()));
  const running = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const stop = async () => {
    await Promise.all(running.map((r) => r.stop()));
    if (previousDetection === undefined) delete process.env.METADATA_SERVER_DETECTION;
    else process.env.METADATA_SERVER_DETECTION = previousDetection;
  };
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  const restart = async (name: N) => {
    const emulator = running.find((r) => r.name === name);
    if (!emulator?.restart) throw new Error(`the ${name} emulator cannot be restarted`);
    await emulator.restart();
  };
  return Object.assign({}, ...running.map((r) => r.addresses), { stop, restart }) as Emulators<N>;
}

async function startFirestore(): Promise<Running<EmulatorAddresses['firestore']>> {
  return withRetries(async () => {
    const port = await freePort();
    const host = `127.0.0.1:${port}`;
    const child = spawnScript('start-firestore.sh', [host]);
    await untilReady(child, 'firestore', async () => {
      const res = await fetch(`http://${host}/`);
      return res.status === 200 && (await res.text()).trim() === 'Ok';
    });
    return { name: 'firestore', addresses: { firestoreHost: host }, stop: () => child.stop() };
  });
}

async function startGcs(): Promise<Running<EmulatorAddresses['gcs']>> {
  return withRetries(async () => {
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    const child = spawnScript('start-gcs.sh', [`127.0.0.1:${port}`]);
    await untilReady(child, 'gcs', async () => (await fetch(`${endpoint}/_internal/healthcheck`)).status === 200);
    return { name: 'gcs', addresses: { gcsEndpoint: endpoint }, stop: () => child.stop() };
  });
}

async function startTasks(): Promise<Running<EmulatorAddresses['tasks']>> {
  return withRetries(async () => {
    // The OIDC issuer listens on the gRPC port + 1 (on every interface); the emulator starts without it if that
    // port is taken, so both must be free.
    let port = await freePort();
    while (!(await isFree(port + 1, '0.0.0.0'))) port = await freePort();
    const host = `127.0.0.1:${port}`;
    const issuer = `http://127.0.0.1:${port + 1}`;
    const launch = async () => {
      const child = spawnScript('start-tasks.sh', [host], { CLOUD_TASKS_OPENID_ISSUER: issuer, CLOUD_TASKS_QUEUES: '' });
      await untilReady(child, 'tasks', async () => (await canConnect(port)) && (await fetch(`${issuer}/jwks`)).status === 200);
      return child;
    };
    let child = await launch();
    return {
      name: 'tasks',
      addresses: { tasksHost: host, tasksIssuer: issuer },
      stop: () => child.stop(),
      async restart() {
        await child.stop();
        child = await launch();
      },
    };
  });
}

/** A port can be taken by someone else between our check and the emulator's bind: try again on another. */
async function withRetries<T>(start: () => Promise<T>): Promise<T> {
  let lastError: unknown;
  for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
    try {
      return await start();
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

interface EmulatorProcess {
  process: ChildProcess;
  exited: Promise<void>;
  /** The last few KB of its output, for error messages. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Runs a start script in its own process group under a small shell watchdog: when this process's end of the
 * watchdog's stdin closes (this process exited, even by SIGKILL), the watchdog kills the group, so no emulator
 * outlives the test run. `stop()` signals the group itself.
 */
const WATCHDOG = 'exec 3<&0; "$@" </dev/null 3<&- & pid=$!; { cat <&3 >/dev/null; kill -TERM 0; } & wait "$pid"';

function spawnScript(script: string, args: string[], env: Record<string, string> = {}): EmulatorProcess {
  const child = spawn('bash', ['-c', WATCHDOG, 'watchdog', path.join(SCRIPTS, script), ...args], {
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, METADATA_SERVER_DETECTION: 'none', ...env },
  });
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      if (child.pid) process.kill(-child.pid, signal);
    } catch {
      // Already gone.
    }
  };
  const onExit = () => killGroup('SIGKILL');
  process.once('exit', onExit);
  return {
    process: child,
    exited,
    output: () => tail,
    async stop() {
      process.removeListener('exit', onExit);
      killGroup('SIGTERM');
      const escalate = setTimeout(() => killGroup('SIGKILL'), 5000);
      await exited;
      clearTimeout(escalate);
      child.stdin?.destroy();
      child.stdout?.destroy();
      child.stderr?.destroy();
    },
  };
}

async function untilReady(child: EmulatorProcess, name: string, ready: () => Promise<boolean>): Promise<void> {
  let gone = false;
  void child.exited.then(() => (gone = true));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (gone || Date.now() > deadline) {
      await child.stop();
      const why = gone ? 'exited before it was ready' : `was not ready after ${READY_TIMEOUT_MS} ms`;
      throw new Error(`the ${name} emulator ${why}:\n${child.output()}`);
    }
    try {
      if (await ready()) return;
    } catch {
      // Not listening yet.
    }
    await sleep(100);
  }
}

/** A loopback port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function isFree(port: number, host: string): Promise<boolean> {
  const server = net.createServer();
  return new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort } from '../support/emulators';

const BIN = path.join(__dirname, '..', '..', '.tools', 'bin', 'toxiproxy-server');

/** A toxic as Toxiproxy names it: latency, reset_peer, timeout, bandwidth, slicer, limit_data. */
export interface Toxic {
  type: 'latency' | 'reset_peer' | 'timeout' | 'bandwidth' | 'slicer' | 'limit_data';
  attributes: Record<string, number>;
  /** Traffic to the upstream, or from it (default). */
  stream?: 'upstream' | 'downstream';
  toxicity?: number;
}

/**
 * Toxiproxy (built from Go modules by scripts/setup-emulators.sh) between the services and the emulators: each
 * proxy listens on a port of its own and forwards to one emulator; toxics added to it make that link slow, cut
 * or silent, and disabling it refuses every connection, as a store that is down does.
 */
export class Toxiproxy {
  private constructor(
    private readonly child: ChildProcess,
    private readonly api: string,
  ) {}

  static async start(): Promise<Toxiproxy> {
    const port = await freePort();
    const child = spawn(BIN, ['-host', '127.0.0.1', '-port', String(port)], { stdio: 'ignore' });
    const api = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        if ((await fetch(`${api}/version`)).ok) return new Toxiproxy(child, api);
      } catch {
        // not listening yet
      }
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`toxiproxy did not start (is ${BIN} built? npm run setup)`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** A proxy to `upstream` (host:port); resolves to the host:port the services should use instead. */
  async proxy(name: string, upstream: string): Promise<string> {
    const listen = `127.0.0.1:${await freePort()}`;
    await this.call('POST', '/proxies', { name, listen, upstream, enabled: true });
    return listen;
  }

  async addToxic(proxy: string, name: string, toxic: Toxic): Promise<void> {
    await this.call('POST', `/proxies/${proxy}/toxics`, { name, type: toxic.type, stream: toxic.stream ?? 'downstream', toxicity: toxic.toxicity ?? 1, attributes: toxic.attributes });
  }

  async removeToxic(proxy: string, name: string): Promise<void> {
    await this.call('DELETE', `/proxies/${proxy}/toxics/${name}`, undefined, [404]);
  }

  async setEnabled(proxy: string, enabled: boolean): Promise<void> {
    await this.call('POST', `/proxies/${proxy}`, { enabled });
  }

  /** Every proxy enabled and without toxics. */
  async reset(): Promise<void> {
    await this.call('POST', '/reset');
  }

  async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }

  private async call(method: string, route: string, body?: unknown, alsoFine: number[] = []): Promise<void> {
    const res = await fetch(`${this.api}${route}`, {
      method,
      ...(body !== undefined && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    if (!res.ok && !alsoFine.includes(res.status)) throw new Error(`toxiproxy ${method} ${route}: ${res.status} ${await res.text()}`);
  }
}

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer } from '../support/close-server';
import type { SeededRandom } from './seeded-random';

export interface DeliveryProxy {
  url: string;
  faults: Record<'duplicate.at-once' | 'duplicate.late' | 'answer.503', number>;
  setFaulty(on: boolean): void;
  close(): Promise<void>;
}

/**
 * Stands where Cloud Tasks posts render tasks, in front of the renderer, and delivers them as Cloud Tasks may at
 * its worst: some twice at the same moment, some again late (past the task's lease, so out of order with what
 * came since), some answered 503 without reaching the renderer (no instance free). The same request, token and
 * task headers included, is posted each time; a duplicate's answer goes nowhere.
 */
export async function startDeliveryProxy(params: { target: string; random: SeededRandom; lateMs: number }): Promise<DeliveryProxy> {
  const faults = { 'duplicate.at-once': 0, 'duplicate.late': 0, 'answer.503': 0 };
  let faulty = false;
  const forward = (req: http.IncomingMessage, body: Buffer): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const upstream = http.request(new URL(req.url ?? '/', params.target), { method: req.method, headers: req.headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      upstream.on('error', reject);
      upstream.end(body);
    });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const roll = faulty ? params.random.next() : 1;
      if (roll < 0.05) {
        faults['answer.503']++;
        res.writeHead(503).end();
        return;
      }
      if (roll < 0.2) {
        const late = params.random.chance(0.5);
        faults[late ? 'duplicate.late' : 'duplicate.at-once']++;
        const again = () => void forward(req, body).catch(() => undefined);
        if (late) setTimeout(again, Math.round(params.lateMs * (0.5 + params.random.next() / 2))).unref();
        else again();
      }
      forward(req, body).then(
        (answer) => {
          const { 'transfer-encoding': _chunked, connection: _connection, ...headers } = answer.headers;
          res.writeHead(answer.status, headers).end(answer.body);
        },
        () => res.writeHead(502).end(),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    faults,
    setFaulty: (on) => (faulty = on),
    close: () => closeServer(server),
  };
}

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer } from '../support/close-server';

export interface WebhookReceiver {
  url: string;
  /** Answers 2xx in time, by event id: a delivery the service saw succeed. */
  byEvent: Map<string, number>;
  /** Event ids that arrived for each job, whatever was answered. */
  byJob: Map<string, Set<string>>;
  /** Answers it failed on purpose, by kind. */
  faults: Record<'503' | 'slow', number>;
  /** While on, some deliveries get a 503 and some an answer only after the service's 10-s deadline. */
  setFaulty(on: boolean): void;
  close(): Promise<void>;
}

/** A webhook target that counts what arrived, by event id and by job, and is sometimes down or slow. */
export async function startWebhookReceiver(params: { random: () => number }): Promise<WebhookReceiver> {
  const byEvent = new Map<string, number>();
  const byJob = new Map<string, Set<string>>();
  const faults = { '503': 0, slow: 0 };
  let faulty = false;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      let event: { id: string; type: string; data: { id: string } } | undefined;
      try {
        event = JSON.parse(body) as { id: string; type: string; data: { id: string } };
        if (event.type === 'render.finished') byJob.set(event.data.id, new Set([...(byJob.get(event.data.id) ?? []), event.id]));
      } catch {
        // not an event: counted nowhere
      }
      const roll = faulty ? params.random() : 1;
      if (roll < 0.1) {
        faults['503']++;
        res.writeHead(503).end();
      } else if (roll < 0.13) {
        faults.slow++;
        setTimeout(() => res.writeHead(200).end(), 11_000).unref();
      } else {
        if (event) byEvent.set(event.id, (byEvent.get(event.id) ?? 0) + 1);
        res.writeHead(200).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    byEvent,
    byJob,
    faults,
    setFaulty: (on) => (faulty = on),
    close: () => closeServer(server),
  };
}

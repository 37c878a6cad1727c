import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A webhook target that answers 200 to everything and counts what arrived, by event id and by job. */
export async function startWebhookReceiver(): Promise<{ url: string; byEvent: Map<string, number>; byJob: Map<string, Set<string>>; close(): Promise<void> }> {
  const byEvent = new Map<string, number>();
  const byJob = new Map<string, Set<string>>();
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      try {
        const event = JSON.parse(body) as { id: string; type: string; data: { id: string } };
        byEvent.set(event.id, (byEvent.get(event.id) ?? 0) + 1);
        if (event.type === 'render.finished') byJob.set(event.data.id, new Set([...(byJob.get(event.data.id) ?? []), event.id]));
      } catch {
        // not an event: counted nowhere
      }
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, byEvent, byJob, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

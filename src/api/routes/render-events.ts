import { Router } from 'express';
import type { JobView } from '../../contracts/job';
import { isTerminal } from '../../domain/job';
import { getOwnedJob } from '../../domain/get-owned-job';
import type { ApiDeps } from '../deps';
import { toJobView } from '../job-view';
import { route } from '../middleware/route';
import { principalOf } from '../principal';
import { jobIdParams } from './renders';

const POLL_MS = 500;
const KEEPALIVE_MS = 15_000;

/**
 * `GET /v1/renders/{id}/events`: Server-Sent Events with the job each time it changes, until it is terminal.
 *
 * Both modes poll the job store (twice a second) rather than hold Firestore snapshot listeners: a poll is one
 * document read per stream, works the same on every store, and needs no long-lived listener per client on
 * instances that Cloud Run may stop at any time. A client that reconnects just gets the current state first.
 */
export function renderEventsRouter(deps: ApiDeps): Router {
  const router = Router();
  router.get(
    '/v1/renders/:id/events',
    route({ params: jobIdParams }, async ({ params, req, res }) => {
      const owner = principalOf(res);
      let job = toJobView(await getOwnedJob(deps.jobStore, { id: params.id, owner }));
      res.writeHead(200, {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-store',
        'X-Accel-Buffering': 'no',
        Connection: 'keep-alive',
      });
      let closed = false;
      req.on('close', () => (closed = true));
      const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      send('job', job);
      let lastWrite = Date.now();
      let last = fingerprint(job);
      while (!closed && !isTerminal(job.status)) {
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        const record = await deps.jobStore.getJob({ id: params.id });
        if (!record || record.owner !== owner) {
          send('gone', { id: params.id });
          break;
        }
        job = toJobView(record);
        if (fingerprint(job) !== last) {
          last = fingerprint(job);
          send('job', job);
          lastWrite = Date.now();
        } else if (Date.now() - lastWrite > KEEPALIVE_MS) {
          res.write(': keep-alive\n\n');
          lastWrite = Date.now();
        }
      }
      if (!closed && isTerminal(job.status)) send('end', { id: job.id, status: job.status });
      res.end();
    }),
  );
  return router;
}

function fingerprint(job: JobView): string {
  return `${job.updatedAt}|${job.status}|${job.scenes.map((s) => `${s.status}:${s.progress}`).join(',')}`;
}

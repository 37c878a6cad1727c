import { Router } from 'express';
import type { ApiDeps } from '../deps';

/** Liveness (the process answers) and readiness (it can take work now). */
export function healthRouter(deps: Pick<ApiDeps, 'readiness'>): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', (_req, res, next) => {
    deps
      .readiness()
      .then((report) => res.status(report.ready ? 200 : 503).json(report))
      .catch(next);
  });
  return router;
}

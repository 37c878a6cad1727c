import { Router } from 'express';
import type { IdTokenVerifier } from '../../auth/id-token-verifier';
import { requireTaskInvoker } from '../../auth/require-task-invoker';
import type { RepairReport } from '../../domain/repair/repair-lost-work';

/** What the ingress needs to run the repair of lost work for Cloud Scheduler (gcp mode). */
export interface RepairTaskDeps {
  /** Accepts only the OIDC token of the invoker service account (Cloud Scheduler's job sends it), for the ingress. */
  verifier: IdTokenVerifier;
  run(): Promise<RepairReport>;
}

/**
 * `POST /tasks/repair`: Cloud Scheduler's `manim-repair` job (setup-gcp.sh) calls this every few minutes, and an
 * operator can run that job by hand (`gcloud scheduler jobs run manim-repair`, or `manim-render repair`). Answers
 * what it found and did.
 */
export function repairTasksRouter(deps: RepairTaskDeps): Router {
  const router = Router();
  router.post('/tasks/repair', requireTaskInvoker(deps.verifier), (_req, res, next) => {
    deps
      .run()
      .then((report) => res.status(200).json(report))
      .catch(next);
  });
  return router;
}

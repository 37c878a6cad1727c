import { repairLostWork, type RepairDeps, type RepairReport } from './repair-lost-work';

/**
 * Runs the repair of lost work in-process every `intervalMs` (local mode; in gcp mode Cloud Scheduler calls the
 * ingress instead). Runs never overlap; a failed run is logged and the next one tries again.
 */
export function startRepairSchedule(deps: RepairDeps, params: { intervalMs: number; staleAfterMs: number }): { stop(): Promise<void>; runNow(): Promise<RepairReport> } {
  let running: Promise<RepairReport> | undefined;
  const runNow = (): Promise<RepairReport> => {
    running ??= repairLostWork(deps, { staleAfterMs: params.staleAfterMs }).finally(() => (running = undefined));
    return running;
  };
  const timer = setInterval(() => {
    runNow().catch((error: Error) => deps.logger.error('repair of lost work failed', { error: error.message }));
  }, params.intervalMs);
  timer.unref();
  return {
    runNow,
    async stop() {
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}

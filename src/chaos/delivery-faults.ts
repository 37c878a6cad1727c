import type { DeliverTask, Delivery } from '../adapters/local/local-task-queue';
import type { TaskPayload } from '../contracts/task-payload';
import { faultPlan } from './fault-points';

/** A duplicate's own dispatch deadline: as long as a render may take, like the original's. */
const DUPLICATE_DEADLINE_MS = 30 * 60 * 1000;

/**
 * The embedded queue's deliveries with Cloud Tasks' worst habits added, when the chaos plan asks for them
 * (fault-points.ts): some tasks are delivered a second time, either at once (two handlers on one task at the
 * same moment) or late (after the first attempt's lease ran out, and so out of order with the tasks queued after
 * it). The duplicate's answer is dropped, as a redelivery's is once the task is done. Without a plan: `deliver`.
 */
export function withDeliveryFaults(deliver: DeliverTask): DeliverTask {
  const plan = faultPlan();
  const faults = plan?.deliveries;
  if (!plan || !faults || faults.duplicate <= 0) return deliver;
  const lateMs = faults.lateMs ?? 10_000;
  return (payload, delivery) => {
    if (plan.next() < faults.duplicate) {
      const late = plan.next() < 0.5;
      const delayMs = late ? Math.round(lateMs * (0.5 + plan.next() / 2)) : 0;
      process.stderr.write(`[fault] duplicate delivery ${late ? 'late' : 'at-once'} of ${delivery.taskName}\n`);
      const timer = setTimeout(() => void deliverAgain(deliver, payload, delivery), delayMs);
      timer.unref?.();
    }
    return deliver(payload, delivery);
  };
}

async function deliverAgain(deliver: DeliverTask, payload: TaskPayload, original: Delivery): Promise<void> {
  const abort = new AbortController();
  const deadline = setTimeout(() => abort.abort(new Error('duplicate delivery deadline passed')), DUPLICATE_DEADLINE_MS);
  deadline.unref?.();
  try {
    await deliver(payload, { taskName: original.taskName, retryCount: original.retryCount, signal: abort.signal });
  } catch {
    // a duplicate's failure is the queue's business only for the original
  } finally {
    clearTimeout(deadline);
  }
}

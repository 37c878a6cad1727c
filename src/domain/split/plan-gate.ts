import { isSplitActive, isTerminal, type JobRecord, type SceneRecord } from '../job';
import type { JobStore } from '../ports/job-store';
import type { Clock } from '../ports/clock';
import type { PlanVerdict } from '../ports/scene-renderer';
import type { TaskQueue } from '../ports/task-queue';
import { canSplitFormat, planSplit, type ScenePlan, type SplitPolicy } from './plan-split';
import { enqueueNextSplitTasks } from './split-tasks';
import { declineSplitTransition, startSplitTransition } from './split-transitions';
import { PROGRESS_EVERY_HEARTBEATS, reportPartProgress } from './report-part-progress';
import { watchScene } from './watch-scene';

export interface PlanGateDeps {
  jobStore: JobStore;
  clock: Clock;
  policy: SplitPolicy;
  taskQueue: TaskQueue;
  /** How often the first part's render looks whether it is still wanted, once the scene's lease is gone. */
  watchMs: number;
}

/** The gate for a delivery that claimed `scene`, or none when the scene is not to be split (again). */
export function planGateFor(
  deps: PlanGateDeps | undefined,
  params: { job: JobRecord; scene: string; leaseToken: string; abort: (reason: string) => void },
): PlanGate | undefined {
  // A scene is split at most once: after a fallback (or a decline) it is rendered whole.
  const splittable = deps && canSplitFormat(params.job.format) && !params.job.scenes.find((s) => s.name === params.scene)?.split;
  return splittable ? new PlanGate(deps, params) : undefined;
}

/**
 * Decides, in a whole-render delivery that holds the scene's lease, what its worker renders once the plan is in.
 * A short scene renders whole. A long one is handed over to parts: the scene records the ranges (and loses its
 * lease, so no whole render can claim it), the other parts are queued, and this worker, which has Manim and the
 * scene loaded already, renders the first part itself. A long scene that cannot be split safely renders whole and
 * records why.
 */
export class PlanGate {
  /** The hand-over was refused: the lease went (the scene was cancelled, or taken over) while it was planned. */
  handOverRefused = false;
  /** The scene as handed over to parts; set once this delivery renders the first part rather than the scene. */
  handedOver: SceneRecord | undefined;
  private unwatch = () => undefined as void;
  private progress: { report(progress: number): void; stop(): void } | undefined;

  constructor(
    private readonly deps: PlanGateDeps,
    private readonly params: { job: JobRecord; scene: string; leaseToken: string; abort: (reason: string) => void },
  ) {}

  /** How far the first part has come, once handed over (the scene's heartbeat records it before). */
  reportProgress(progress: number): void {
    this.progress?.report(progress);
  }

  /** Ends the watch and the progress reports the hand-over started (the first part's render is over). */
  close(): void {
    this.unwatch();
    this.progress?.stop();
  }

  async decide(plan: ScenePlan): Promise<PlanVerdict> {
    const { jobStore, clock } = this.deps;
    const { job, scene, leaseToken: token } = this.params;
    const decision = planSplit(plan, this.deps.policy);
    if (decision.kind === 'whole') return { render: true };
    if (decision.kind === 'declined') {
      const reason = decision.reason;
      await jobStore.updateScene({ jobId: job.id, scene, now: clock.now(), change: (s) => declineSplitTransition(s, { token, reason, now: clock.now() }) });
      return { render: true };
    }
    const ranges = decision.ranges;
    const next = await jobStore.updateScene({ jobId: job.id, scene, now: clock.now(), change: (s) => startSplitTransition(s, { token, ranges, now: clock.now() }) });
    if (!next) {
      this.handOverRefused = true;
      return { render: false };
    }
    this.handedOver = next;
    // The lease (and its heartbeat) ended with the hand-over: the first part stops if the scene stops wanting it.
    this.unwatch = watchScene({
      jobStore,
      jobId: job.id,
      scene,
      intervalMs: this.deps.watchMs,
      wanted: (s) => !isTerminal(s.status) && isSplitActive(s) && !s.split!.parts[0]?.rendered,
      stop: this.params.abort,
    });
    this.progress = reportPartProgress(this.deps, { jobId: job.id, scene, index: 0, everyMs: this.deps.watchMs * PROGRESS_EVERY_HEARTBEATS });
    await enqueueNextSplitTasks(this.deps.taskQueue, job, next, { parts: { except: 0 } });
    const first = next.split!.parts[0]!;
    return { render: true, range: { from: 0, upto: first.upto, animations: first.animations } };
  }
}

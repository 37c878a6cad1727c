import type { Logger } from '../logging/logger';
import type { Pricing } from './costs/price-table';
import type { BlobStore } from './ports/blob-store';
import type { Clock } from './ports/clock';
import type { JobStore } from './ports/job-store';
import type { ResultCache } from './ports/result-cache';
import type { SceneRenderer } from './ports/scene-renderer';
import type { TaskQueue } from './ports/task-queue';
import type { SplitPolicy } from './split/plan-split';

/** What the render tasks (a whole scene, a part of a split one, a join) work with. */
export interface RunRenderTaskDeps {
  jobStore: JobStore;
  blobStore: BlobStore;
  renderer: SceneRenderer;
  clock: Clock;
  logger: Logger;
  /** How often a live render records progress, renews its lease and checks for cancellation. */
  heartbeatMs: number;
  /**
   * How long a claim holds without a heartbeat. A redelivery finding a live lease backs off; one finding it
   * expired (its holder crashed) takes the scene over.
   */
  leaseMs: number;
  seed: number;
  /** Remembers each successful render so an identical later submit can reuse it. */
  resultCache?: ResultCache;
  /** Told each time a scene of a job ends, to queue the job's and its batch's webhooks once they are finished. */
  notify?: (params: { jobId: string }) => Promise<void>;
  /** This renderer's size and prices: each recorded render carries what it used and cost (domain/costs/). */
  pricing?: Pricing;
  /** Long scenes are rendered in animation ranges, one task each (domain/split/); without this, always whole. */
  split?: { policy: SplitPolicy; taskQueue: TaskQueue };
}

import type { SeededRandom } from './seeded-random';

/** One kind of fault a target can inject; `inject` returns once it is under way (a full disk frees itself later). */
export interface ChaosFault {
  name: string;
  /** How often it is chosen, against the target's other faults. */
  weight: number;
  inject(rng: SeededRandom): Promise<void>;
}

/** What is left in the stores once everything settled, for the invariants that look past the API. */
export interface ChaosInventory {
  jobs: Array<{ id: string; status: string }>;
  /** Job ids that still have blobs. */
  blobJobs: string[];
  /** Tasks still waiting or in flight, by name. */
  tasksLeft: string[];
}

/** A service under chaos: the embedded default in one process, or the gcp stack on the emulators. */
export interface ChaosTarget {
  readonly name: 'local' | 'emulated';
  /** Whether jobs may carry a webhook to the suite's receiver (gcp mode refuses non-public targets). */
  readonly webhooks: boolean;
  readonly url: string;
  readonly headers: Record<string, string>;
  /** Where its files are, kept when a run finds violations. */
  readonly dataDir: string;
  readonly faults: ChaosFault[];
  /** Where a signed download URL the API redirected to is fetched from (the gcp stack's bypasses the fault proxy). */
  signedUrl?(url: string): string;
  start(): Promise<void>;
  /** The faults stop: every process is started again without them, every store reachable. */
  calm(): Promise<void>;
  inventory(): Promise<ChaosInventory>;
  /** Faults the services reported themselves (fault points, duplicate deliveries) and restarts, by kind. */
  fired(): Record<string, number>;
  stop(): Promise<void>;
  /** Removes its files, or keeps them (for a run that found violations) and says where. */
  release(keep: boolean): string | undefined;
}

/** Where the services kill themselves (src/chaos/fault-points.ts), each a chance per pass. */
export const FAULT_POINTS = {
  'submit.after-store': 0.08,
  'finish.after-upload': 0.08,
  'finish.after-record': 0.08,
  'part.after-upload': 0.08,
  'part.after-record': 0.08,
  'webhook.after-post': 0.08,
};

/** Tasks delivered a second time (src/chaos/delivery-faults.ts): at once, or late, past the 5-s lease. */
export const DELIVERY_FAULTS = { duplicate: 0.15, lateMs: 12_000 };

/** Short leases, retries and repair delays, so a run of minutes sees many of each; no quotas in the way. */
export const SERVICE_SETTINGS: Record<string, string> = {
  LOG_LEVEL: 'warn',
  RENDER_CONCURRENCY: '2',
  SPLIT_MAX_PARTS: '2',
  SPLIT_MIN_SCENE_SECONDS: '5',
  SPLIT_MIN_PART_SECONDS: '2',
  LEASE_SECONDS: '5',
  REPAIR_AFTER_SECONDS: '3',
  REPAIR_INTERVAL_SECONDS: '1',
  TASK_MAX_ATTEMPTS: '30',
  TASK_MIN_BACKOFF_MS: '200',
  TASK_MAX_BACKOFF_MS: '2000',
  QUOTA_SUBMITS_PER_MINUTE: '100000',
  QUOTA_ACTIVE_SCENES: '100000',
  WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
  GLYPH_CACHE: 'false',
};

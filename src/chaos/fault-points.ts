/**
 * Named places between two writes of a use case where the chaos suite (test/chaos/) kills the process, to prove
 * that no such death leaves work stuck or lost. Off unless MANIM_RENDER_FAULTS is set, as JSON:
 * `{"seed": 7, "points": {"submit.after-store": 0.2}}` kills the process at that point in one pass of five, the
 * passes chosen by a generator seeded from `seed` and the process id (so a run is reproducible from its seed up to
 * the order the processes reach their points). `deliveries` (delivery-faults.ts) delivers tasks again. Never set in
 * production: only the chaos suite sets it, on the embedded default and on the emulated gcp stack.
 */

export type FaultPoint =
  | 'submit.after-store'
  | 'finish.after-upload'
  | 'finish.after-record'
  | 'part.after-upload'
  | 'part.after-record'
  | 'webhook.after-post';

/** Tasks delivered again beside their own delivery: at once (two at a time), or late (after the lease expired). */
export interface DeliveryFaults {
  /** The chance that a delivery gets a duplicate. */
  duplicate: number;
  /** A late duplicate comes up to this long after the original began (default 10 s). */
  lateMs?: number;
}

export interface FaultPlan {
  points: Partial<Record<FaultPoint, number>>;
  deliveries?: DeliveryFaults;
  /** The plan's own generator: a number in [0, 1). */
  next(): number;
}

let plan: FaultPlan | null | undefined;

function loadPlan(): FaultPlan | null {
  const raw = process.env.MANIM_RENDER_FAULTS;
  if (!raw) return null;
  const parsed = JSON.parse(raw) as { seed?: number; points?: FaultPlan['points']; deliveries?: DeliveryFaults };
  let state = ((parsed.seed ?? 1) * 2654435761 + process.pid) >>> 0 || 1;
  // xorshift32: small, seedable, and enough to choose which passes die.
  const next = () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 2 ** 32;
  };
  return { points: parsed.points ?? {}, ...(parsed.deliveries && { deliveries: parsed.deliveries }), next };
}

/** The chaos plan of this process (null: no faults, as in production). */
export function faultPlan(): FaultPlan | null {
  if (plan === undefined) plan = loadPlan();
  return plan;
}

/** Kills this process here, if the chaos plan says so for this pass; otherwise nothing. */
export function faultPoint(name: FaultPoint): void {
  const current = faultPlan();
  if (!current) return;
  const probability = current.points[name] ?? 0;
  if (probability <= 0 || current.next() >= probability) return;
  process.stderr.write(`[fault] SIGKILL at ${name}\n`);
  process.kill(process.pid, 'SIGKILL');
}

/**
 * Named places between two writes of a use case where the chaos suite (test/chaos/) kills the process, to prove
 * that no such death leaves work stuck or lost. Off unless MANIM_RENDER_FAULTS is set, as JSON:
 * `{"seed": 7, "points": {"submit.after-store": 0.2}}` kills the process at that point in one pass of five, the
 * passes chosen by a generator seeded from `seed` and the process id (so a run is reproducible from its seed up to
 * the order the processes reach their points). Never set in production; local mode only.
 */

export type FaultPoint =
  | 'submit.after-store'
  | 'finish.after-upload'
  | 'finish.after-record'
  | 'part.after-upload'
  | 'part.after-record'
  | 'webhook.after-post';

interface FaultPlan {
  points: Partial<Record<FaultPoint, number>>;
  next(): number;
}

let plan: FaultPlan | null | undefined;

function loadPlan(): FaultPlan | null {
  const raw = process.env.MANIM_RENDER_FAULTS;
  if (!raw) return null;
  const parsed = JSON.parse(raw) as { seed?: number; points?: Partial<Record<FaultPoint, number>> };
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
  return { points: parsed.points ?? {}, next };
}

/** Kills this process here, if the chaos plan says so for this pass; otherwise nothing. */
export function faultPoint(name: FaultPoint): void {
  if (plan === undefined) plan = loadPlan();
  if (!plan) return;
  const probability = plan.points[name] ?? 0;
  if (probability <= 0 || plan.next() >= probability) return;
  process.stderr.write(`[fault] SIGKILL at ${name}\n`);
  process.kill(process.pid, 'SIGKILL');
}

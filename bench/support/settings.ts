/**
 * The benchmarks' knobs, all from the environment, read here once. Defaults keep `npm run bench` under about
 * fifteen minutes on the 2-core development machine.
 */
function int(name: string, fallback: number, min = 0): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer >= ${min}, got ${raw}`);
  return value;
}

function list(name: string): string[] | undefined {
  const raw = process.env[name];
  return raw ? raw.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
}

function qualities(name: string, fallback: Array<'low' | 'high'>): Array<'low' | 'high'> {
  const values = list(name) ?? fallback;
  for (const value of values) if (value !== 'low' && value !== 'high') throw new Error(`${name}: low or high, got ${value}`);
  return values as Array<'low' | 'high'>;
}

export const settings = {
  /** Repetitions of each low-quality render (service and CLI each), and of the split comparisons. */
  reps: int('BENCH_REPS', 3, 1),
  /** Repetitions at high quality (1080p60: long_timeline.py takes over a minute per render here). */
  highReps: int('BENCH_HIGH_REPS', 1, 0),
  /** Which benchmarks to run (fixed-cost, cache-hit, split, ingress, live; image only when named); all by default. */
  only: list('BENCH_ONLY'),
  /** Which fixture files the fixed-cost benchmark renders; all four by default. */
  scenes: list('BENCH_SCENES'),
  /** Submits measured for cache-hit latency once hits are seen (p99 wants a few hundred). */
  cacheSubmits: int('BENCH_CACHE_SUBMITS', 300, 1),
  /** Identical submits measured when they are not cache hits (each is then a whole render). */
  cacheMissSamples: int('BENCH_CACHE_MISS_SAMPLES', 5, 1),
  /** Largest K of the split model. */
  splitMaxK: int('BENCH_SPLIT_MAX_K', 8, 2),
  /** Qualities the split model is measured at (low, high); both by default (high adds about five minutes). */
  splitModelQualities: qualities('BENCH_SPLIT_MODEL_QUALITIES', ['low', 'high']),
  /** Repetitions of each part in the split model (K = 2..8 makes 35 parts per repetition). */
  splitModelReps: int('BENCH_SPLIT_MODEL_REPS', 1, 1),
  /** Per-part dispatch overhead of the split model, ms; by default the service overhead measured in this run. */
  dispatchMs: process.env.BENCH_DISPATCH_MS ? int('BENCH_DISPATCH_MS', 0) : undefined,
  /** Seconds of load per ingress run, and concurrent connections. */
  ingressSeconds: int('BENCH_INGRESS_SECONDS', 8, 1),
  ingressConnections: int('BENCH_INGRESS_CONNECTIONS', 32, 1),
  /**
   * Principals (API keys) the many-callers ingress run spreads its submits over, each under the default quota: enough
   * that none reaches its 50 active scenes in the run (256 of them capped the run at 12,800 jobs, 1,600/s over 8 s).
   */
  ingressPrincipals: int('BENCH_INGRESS_PRINCIPALS', 1024, 2),
  /** Profile the embedded ingress runs (`node --cpu-prof`) and print where the service spent its time. */
  profile: process.env.BENCH_PROFILE === '1' || process.env.BENCH_PROFILE === 'true',
  /** The Python with Manim for the CLI baseline and the warm render processes; the repository's .venv by default. */
  python: process.env.BENCH_PYTHON || undefined,
  /** A file to copy the benchmarked services' JSON log lines into (to see what they did). */
  serviceLog: process.env.BENCH_SERVICE_LOG || undefined,
  /** Skip the ingress run against the Firestore/Cloud Tasks emulators (e.g. where they are not installed). */
  skipEmulators: process.env.BENCH_SKIP_EMULATORS === '1' || process.env.BENCH_SKIP_EMULATORS === 'true',
};

export type BenchSettings = typeof settings;

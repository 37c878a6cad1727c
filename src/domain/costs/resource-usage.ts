/**
 * What one render, part or join used, as recorded with its outcome. CPU and memory come from the sandbox's
 * supervisor, outside the sandbox (a scene cannot understate them); null where no sandbox measured them
 * (SANDBOX=none). The estimate is made when it is recorded, with the renderer's own size and prices.
 */
export interface ResourceUsage {
  cpuSeconds: number | null;
  wallSeconds: number;
  peakMemoryBytes: number | null;
  instanceSeconds: number;
  estimatedUsd: number;
  pricedAt: string;
}

/** What the sandbox measured of one worker (python/manim_worker/sandbox/supervisor.py). */
export interface SandboxUsage {
  cpuSeconds: number;
  peakMemoryBytes: number;
}

/** Two workers' measurements together (a render and the reader of its output): CPU adds up, peaks do not. */
export function combineSandboxUsage(a: SandboxUsage | undefined, b: SandboxUsage | undefined): SandboxUsage | undefined {
  if (!a || !b) return a ?? b;
  return { cpuSeconds: a.cpuSeconds + b.cpuSeconds, peakMemoryBytes: Math.max(a.peakMemoryBytes, b.peakMemoryBytes) };
}

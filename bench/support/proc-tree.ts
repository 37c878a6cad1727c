import fs from 'node:fs';

/**
 * Reads Linux's /proc for what the benchmarks measure about processes: a process tree, its resident memory
 * and its CPU time. All reads are synchronous and small (a few files per process); a process that exits between
 * two reads simply drops out.
 */

function read(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** The direct children of `pid`, over all of its threads. */
export function childrenOf(pid: number): number[] {
  let tasks: string[];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const children = new Set<number>();
  for (const tid of tasks) {
    for (const child of (read(`/proc/${pid}/task/${tid}/children`) ?? '').split(' ')) {
      if (child.trim()) children.add(Number(child));
    }
  }
  return [...children];
}

/** `pid` and every process below it. */
export function treeOf(pid: number): number[] {
  const seen: number[] = [];
  const queue = [pid];
  while (queue.length) {
    const next = queue.shift()!;
    if (seen.includes(next)) continue;
    seen.push(next);
    queue.push(...childrenOf(next));
  }
  return seen;
}

export function cmdlineOf(pid: number): string {
  return (read(`/proc/${pid}/cmdline`) ?? '').split('\0').join(' ').trim();
}

export function environOf(pid: number): Record<string, string> {
  const entries = (read(`/proc/${pid}/environ`) ?? '').split('\0').filter(Boolean);
  return Object.fromEntries(entries.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
}

/** Resident set now and its high-water mark (kernel-tracked peak), in bytes; undefined once the process is gone. */
export function memoryOf(pid: number): { rss: number; hwm: number } | undefined {
  const status = read(`/proc/${pid}/status`);
  if (!status) return undefined;
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
}

/** User plus system CPU time of the process itself, in clock ticks (1/100 s). */
export function cpuTicksOf(pid: number): number | undefined {
  const stat = read(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the command name: state is field 3, utime 14 and stime 15 (proc(5)), so indexes 11 and 12 here.
  return Number(fields[11]) + Number(fields[12]);
}

/** CPU time used so far by the live processes of the tree under `pid`, in ms. */
export function cpuMsOfTree(pid: number): number {
  let ticks = 0;
  for (const t of ticksOfTree(pid).values()) ticks += t;
  return ticks * 10;
}

function ticksOfTree(pid: number): Map<number, number> {
  const ticks = new Map<number, number>();
  for (const p of treeOf(pid)) {
    const t = cpuTicksOf(p);
    if (t !== undefined) ticks.set(p, t);
  }
  return ticks;
}

/**
 * Waits until the tree under `pid` uses (almost) no CPU for `windowMs`: e.g. the service's spare worker has
 * finished importing Manim and waits for a job. Runs measured on a machine we share must not also compete with
 * our own start-ups. Gives up silently after `timeoutMs` (the run then happens on a busier machine).
 */
export async function waitForQuiet(pid: number, options: { windowMs?: number; maxTicks?: number; timeoutMs?: number } = {}): Promise<boolean> {
  const windowMs = options.windowMs ?? 250;
  const maxTicks = options.maxTicks ?? 3;
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let before = ticksOfTree(pid);
  while (Date.now() < deadline) {
    await sleep(windowMs);
    const after = ticksOfTree(pid);
    let used = 0;
    for (const [p, t] of after) used += t - (before.get(p) ?? 0);
    if (used <= maxTicks) return true;
    before = after;
  }
  return false;
}

export interface TreeMemory {
  /** Largest sum of VmRSS over the tree seen at one sample. Shared pages count once per process. */
  peakTreeRss: number;
  /** Sum over every process seen of its own VmHWM: an upper bound of the tree's peak, immune to sampling gaps. */
  sumProcessHwm: number;
  /** The largest single process's VmHWM. */
  largestProcessHwm: number;
  processes: number;
  samples: number;
}

/**
 * Samples the memory of process trees every `intervalMs` until stopped. `roots()` says, at each sample, which
 * trees to count (it may change while sampling, e.g. once the worker that took a job is known).
 */
export class TreeSampler {
  private readonly hwm = new Map<number, number>();
  private peak = 0;
  private samples = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly roots: () => number[],
    intervalMs = 20,
    /** Count the processes below the roots too (false: the roots alone). */
    private readonly descend = true,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  sample(): void {
    let total = 0;
    const pids = new Set(this.roots().flatMap((root) => (this.descend ? treeOf(root) : [root])));
    for (const pid of pids) {
      const memory = memoryOf(pid);
      if (!memory) continue;
      total += memory.rss;
      this.hwm.set(pid, Math.max(this.hwm.get(pid) ?? 0, memory.hwm));
    }
    this.peak = Math.max(this.peak, total);
    this.samples++;
  }

  stop(): TreeMemory {
    clearInterval(this.timer);
    this.sample();
    const hwms = [...this.hwm.values()];
    return {
      peakTreeRss: this.peak,
      sumProcessHwm: hwms.reduce((a, b) => a + b, 0),
      largestProcessHwm: hwms.length ? Math.max(...hwms) : 0,
      processes: hwms.length,
      samples: this.samples,
    };
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

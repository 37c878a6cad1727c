import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const RESULTS_DIR = path.resolve(__dirname, '..', '..', '..', 'bench', 'results');

/** A target from the issue and what this run reached. */
export interface TargetCheck {
  target: string;
  reached: string;
  met: boolean | 'n/a';
}

/** What one benchmark hands back: its tables (markdown), its raw figures (JSON) and its targets. */
export interface BenchResult {
  name: string;
  title: string;
  markdown: string;
  data: unknown;
  targets: TargetCheck[];
}

export function table(headers: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Load, uptime and the like at a moment: other people's work on this machine is part of every figure. */
export function machineNow(): { at: string; loadAverage: number[]; cpus: number; memoryGiB: number } {
  return {
    at: new Date().toISOString(),
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
    cpus: os.cpus().length,
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
  };
}

export function writeResult(result: BenchResult, context: Record<string, unknown>): void {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${result.name}.json`);
  const body = { name: result.name, title: result.title, context, targets: result.targets, data: result.data };
  fs.writeFileSync(file, `${JSON.stringify(body, null, 2)}\n`);
}

export function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/** Jiffies of the whole machine and of this benchmark's own process tree (exited descendants included). */
export interface CpuSnapshot {
  busy: number;
  total: number;
  own: number;
}

function ownTicks(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime, stime, cutime, cstime: fields 14-17 of proc(5), indexes 11-14 after the command name.
    return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
  } catch {
    return 0;
  }
}

function liveDescendants(pid: number): number[] {
  const out: number[] = [];
  const walk = (p: number) => {
    let tasks: string[] = [];
    try {
      tasks = fs.readdirSync(`/proc/${p}/task`);
    } catch {
      return;
    }
    for (const tid of tasks) {
      let children = '';
      try {
        children = fs.readFileSync(`/proc/${p}/task/${tid}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const c of children.split(' ').filter((x) => x.trim())) {
        out.push(Number(c));
        walk(Number(c));
      }
    }
  };
  walk(pid);
  return out;
}

export function cpuSnapshot(): CpuSnapshot {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line as [number, number, number, number, number, number, number, number];
  const busy = user + nice + system + irq + softirq + steal;
  // A live child's own and reaped-children time is not yet in our cutime: add it (it moves there when reaped).
  const own = ownTicks(process.pid) + liveDescendants(process.pid).reduce((sum, pid) => sum + ownTicks(pid), 0);
  return { busy, total: busy + idle + iowait, own };
}

/** Cores' worth of CPU used on average between two snapshots: by this benchmark, and by everything else. */
export function cpuShare(a: CpuSnapshot, b: CpuSnapshot): { ownCores: number; otherCores: number } {
  const cores = os.cpus().length;
  const total = Math.max(1, b.total - a.total);
  const own = Math.max(0, b.own - a.own);
  const other = Math.max(0, b.busy - a.busy - own);
  const round = (x: number) => Math.round(x * 100) / 100;
  return { ownCores: round((own / total) * cores), otherCores: round((other / total) * cores) };
}

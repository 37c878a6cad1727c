import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { containerCommand, type ContainerOptions } from '../../src/dev/image-container';

export { IMAGE, containerCommand, imageExists, type ContainerOptions } from '../../src/dev/image-container';

export interface Container {
  child: ChildProcess;
  output(): string;
  /** The first process of the container's tree whose command line matches. */
  process(match: RegExp): Promise<number>;
  stop(): Promise<void>;
}

export function runContainer(options: ContainerOptions): Container {
  const { command, args, env } = containerCommand(options);
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    output: () => output,
    process: (match) => processInTree(child.pid!, match),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Waits for a process under `root` whose command line matches (the tree of a container starts in steps). */
export async function processInTree(root: number, match: RegExp, timeoutMs = 30_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = descendants(root).find((pid) => match.test(commandLine(pid)));
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no process matching ${match} under ${root}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const all: number[] = [];
  const queue = [root];
  while (queue.length) {
    for (const child of children.get(queue.shift()!) ?? []) {
      all.push(child);
      queue.push(child);
    }
  }
  return all;
}

export function commandLine(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

/** Real, effective, saved uids and the effective capability mask of a process. */
export function credentialsOf(pid: number): { uids: number[]; capEff: bigint } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const uids = /^Uid:\s+(.*)$/m.exec(status)![1]!.split(/\s+/).slice(0, 3).map(Number);
  const capEff = BigInt(`0x${/^CapEff:\s+(\w+)$/m.exec(status)![1]!}`);
  return { uids, capEff };
}

/** Files under a process's root (its container's file system as it sees it) named `name`, outside /proc, /sys, /dev. */
export function findByName(pid: number, name: string): string[] {
  // -H: find follows a starting point that is a symlink, which /proc/PID/root is, only when told.
  const root = `/proc/${pid}/root`;
  const out = execFileSync('find', ['-H', root, '(', '-path', `${root}/proc`, '-o', '-path', `${root}/sys`, '-o', '-path', `${root}/dev`, ')', '-prune', '-o', '-name', name, '-print'], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  return out.split('\n').filter(Boolean).map((file) => file.slice(root.length));
}

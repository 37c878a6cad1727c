import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * The directories a Python needs visible to run: its prefix (a venv) and the base installation the venv's
 * interpreter links to (e.g. a pyenv build under /root), each resolved through symlinks. Asked of Python itself,
 * so any layout works: a venv in the repository, /opt/venv over Debian's /usr/bin/python3, a plain install.
 */
export function pythonInstallDirs(python: string): string[] {
  const script = 'import json, os, sys; print(json.dumps([sys.prefix, sys.base_prefix, os.path.realpath(sys.executable)]))';
  const result = spawnSync(python, ['-I', '-c', script], { env: {}, encoding: 'utf8', timeout: 30_000 });
  if (result.status !== 0) throw new Error(`${python} could not describe its installation: ${result.error?.message ?? result.stderr}`);
  const [prefix, basePrefix, executable] = JSON.parse(result.stdout) as [string, string, string];
  const dirs = new Set<string>();
  for (const dir of [prefix, basePrefix]) {
    dirs.add(path.resolve(dir));
    dirs.add(realpath(dir));
  }
  // The interpreter's own installation, when the executable resolves outside both prefixes.
  const executableRoot = path.dirname(path.dirname(executable));
  if (![...dirs].some((dir) => executable.startsWith(`${dir}/`))) dirs.add(executableRoot);
  // A directory inside another one is bound with it.
  const sorted = [...dirs].sort();
  return sorted.filter((dir) => !sorted.some((other) => other !== dir && dir.startsWith(`${other}/`)));
}

function realpath(dir: string): string {
  try {
    return fs.realpathSync(dir);
  } catch {
    return path.resolve(dir);
  }
}

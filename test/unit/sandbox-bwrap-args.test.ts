import { bwrapArgs } from '../../src/renderer/sandbox/bwrap-args';
import type { SandboxSettings } from '../../src/renderer/sandbox/sandbox-settings';
import { sandboxView } from '../../src/renderer/sandbox/sandbox-view';

const settings: SandboxSettings = {
  uid: 64000,
  gid: 64000,
  maxProcesses: 64,
  cpuSeconds: 100,
  addressSpaceBytes: 6 << 30,
  fileBytes: 1 << 30,
  openFiles: 1024,
  memoryBytes: 4 << 30,
  diskBytes: 4 << 30,
  diskEntries: 1000,
  tmpBytes: 256 << 20,
  logBytes: 1 << 20,
  outputVolumeBytes: 128 << 20,
};

const view = {
  readOnly: ['/usr', '/opt/venv', '/app/python/manim_worker'],
  readOnlyIfPresent: ['/etc/fonts'],
  readOnlyAt: [{ host: '/data/glyphs', inside: '/glyphs' }],
  symlinks: [{ target: 'usr/bin', link: '/bin' }],
};
const workDir = '/data/work/w-1';

function args(env: Record<string, string> = { PATH: '/usr/bin', HOME: workDir }): string[] {
  return bwrapArgs({ view, workDir, settings, env, command: '/opt/venv/bin/python', args: ['-m', 'manim_worker.render'] });
}

/** The pairs `option value` (or triples) of the options before the command. */
function options(list: string[]): string[] {
  return list.slice(0, list.indexOf('--'));
}

describe('bwrapArgs', () => {
  it('unshares every namespace but the user one (the supervisor supplies it) and never shares the network', () => {
    const list = options(args());
    for (const flag of ['--unshare-pid', '--unshare-net', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try', '--die-with-parent', '--new-session']) {
      expect(list).toContain(flag);
    }
    expect(list).not.toContain('--share-net');
    expect(list.join(' ')).toContain('--cap-drop ALL');
  });

  it('binds the job directory as the only writable path, at a fixed path that shows nothing of the host, and starts there', () => {
    const list = options(args());
    const writable = list.flatMap((arg, i) => (['--bind', '--bind-try', '--dev-bind'].includes(arg) ? [`${list[i + 1]}=${list[i + 2]}`] : []));
    expect(writable).toEqual([`${workDir}=/job`]);
    expect(list.join(' ')).toContain('--chdir /job');
    const tmpfs = list.indexOf('--tmpfs');
    expect(list.slice(tmpfs - 2, tmpfs + 2)).toEqual(['--size', String(settings.tmpBytes), '--tmpfs', '/tmp']);
    expect(tmpfs).toBeLessThan(list.indexOf('--bind'));
  });

  it('shows the host only the paths of its view, read-only, and remounts what bubblewrap built read-only last', () => {
    const list = options(args());
    const readOnly = list.flatMap((arg, i) => (arg === '--ro-bind' ? [`${list[i + 1]}=${list[i + 2]}`] : []));
    expect(readOnly).toEqual(['/usr=/usr', '/opt/venv=/opt/venv', '/app/python/manim_worker=/app/python/manim_worker', '/data/glyphs=/glyphs']);
    expect(list.join(' ')).toContain('--ro-bind-try /etc/fonts /etc/fonts');
    expect(list.join(' ')).toContain('--symlink usr/bin /bin');
    expect(list.slice(list.indexOf('--remount-ro'), list.indexOf('--remount-ro') + 4)).toEqual(['--remount-ro', '/dev', '--remount-ro', '/']);
  });

  it('gives the sandbox exactly the environment asked for, after clearing everything else', () => {
    const list = options(args({ PATH: '/usr/bin', HOME: workDir }));
    const clear = list.indexOf('--clearenv');
    expect(clear).toBeGreaterThan(-1);
    const set = list.flatMap((arg, i) => (arg === '--setenv' ? [[list[i + 1], list[i + 2], i]] : []));
    expect(set.map(([name, value]) => `${name}=${value}`)).toEqual(['PATH=/usr/bin', `HOME=${workDir}`]);
    for (const [, , at] of set) expect(at as number).toBeGreaterThan(clear);
  });

  it('runs the command under its resource limits', () => {
    const list = args();
    expect(list.slice(list.indexOf('--'))).toEqual([
      '--',
      '/usr/bin/prlimit',
      '--nproc=64',
      `--as=${6 << 30}`,
      '--cpu=100:105',
      `--fsize=${1 << 30}`,
      '--nofile=1024',
      '--core=0',
      '--',
      '/opt/venv/bin/python',
      '-m',
      'manim_worker.render',
    ]);
  });
});

describe('sandboxView', () => {
  it('binds /usr, the Python installation and the worker code, each once, and nothing of the app besides', () => {
    const built = sandboxView({ pythonDirs: ['/usr', '/root/.pyenv/versions/3.11.7', '/app/.venv'], workerCodeDir: '/app/python/manim_worker' });
    expect(built.readOnly.filter((dir) => !['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'].includes(dir))).toEqual([
      '/usr',
      '/root/.pyenv/versions/3.11.7',
      '/app/.venv',
      '/app/python/manim_worker',
    ]);
    expect(built.readOnly).not.toContain('/app');
  });
});

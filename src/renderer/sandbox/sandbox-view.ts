import fs from 'node:fs';

/** What the sandbox shows of the host: everything else does not exist inside. */
export interface SandboxView {
  /** Host paths bound read-only at the same path; each must exist. */
  readOnly: string[];
  /** Host paths bound read-only if they exist (fonts, TeX, caches that some installs lack). */
  readOnlyIfPresent: string[];
  /** Host directories of the service bound read-only at a fixed path of their own inside (the glyph cache). */
  readOnlyAt: Array<{ host: string; inside: string }>;
  /** Top-level links of a merged-/usr system (`/bin -> usr/bin`), recreated inside as the host has them. */
  symlinks: Array<{ target: string; link: string }>;
}

const SYSTEM_READ_ONLY = ['/usr'];
/** What Manim reaches outside /usr: the dynamic linker's cache, fonts, TeX's configuration and caches. */
const SYSTEM_IF_PRESENT = [
  '/etc/ld.so.cache',
  '/etc/ld.so.conf',
  '/etc/ld.so.conf.d',
  '/etc/alternatives',
  '/etc/fonts',
  '/etc/texmf',
  '/var/lib/texmf',
  '/var/cache/fontconfig',
];
const MERGED_USR_LINKS = ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

/**
 * The sandbox's view for this host: the system paths rendering needs, the Python installation (a venv and the
 * interpreter it links to, when they live outside /usr), the worker's own code and what the service shares with
 * every render read-only (the glyph cache), nothing of the app besides.
 */
export function sandboxView(params: { pythonDirs: string[]; workerCodeDir: string; sharedDirs?: Array<{ host: string; inside: string }> }): SandboxView {
  const readOnly = [...SYSTEM_READ_ONLY];
  const symlinks: SandboxView['symlinks'] = [];
  for (const link of MERGED_USR_LINKS) {
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(link);
    } catch {
      continue;
    }
    if (stat.isSymbolicLink()) symlinks.push({ target: fs.readlinkSync(link), link });
    else if (stat.isDirectory()) readOnly.push(link);
  }
  for (const dir of [...params.pythonDirs, params.workerCodeDir]) {
    if (!readOnly.some((bound) => dir === bound || dir.startsWith(`${bound}/`))) readOnly.push(dir);
  }
  // Shared directories (the glyph cache) are written by the service alone: read-only inside, like the code.
  return { readOnly, readOnlyIfPresent: SYSTEM_IF_PRESENT, readOnlyAt: params.sharedDirs ?? [], symlinks };
}

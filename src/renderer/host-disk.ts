import fs from 'node:fs';

/** Free space below which a render that hit "no space left" is taken to have met the host's limit, not its own. */
export const HOST_DISK_RESERVE_BYTES = 64 * 1024 * 1024;

/**
 * Whether the filesystem holding `dir` is (nearly) full. A scene's own disk quota is the supervisor's to enforce
 * (it says "[sandbox] Disk quota exceeded"), and the sandbox's /tmp is a filesystem of its own: so a render that
 * ran out of space while this says yes ran out because the host did, and is tried again rather than failed.
 */
export function hostDiskNearlyFull(dir: string, reserveBytes = HOST_DISK_RESERVE_BYTES): boolean {
  try {
    const stats = fs.statfsSync(dir);
    return stats.bavail * stats.bsize < reserveBytes;
  } catch {
    return false;
  }
}

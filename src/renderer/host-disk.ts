import fs from 'node:fs';

/** Free space below which a render that hit "no space left" is taken to have met the host's limit, not its own. */
export const HOST_DISK_RESERVE_BYTES = 64 * 1024 * 1024;

/**
 * Whether the filesystem holding `dir` is (nearly) full. A scene's own disk quota is the supervisor's to enforce
 * (it says "[sandbox] Disk quota exceeded"), and the sandbox's /tmp is a filesystem of its own: so a render that
 * ran out of space while this says yes ran out because the host did, and is tried again rather than failed.
 */
function hostDiskNearlyFull(dir: string, reserveBytes = HOST_DISK_RESERVE_BYTES): boolean {
  try {
    const stats = fs.statfsSync(dir);
    return stats.bavail * stats.bsize < reserveBytes;
  } catch {
    return false;
  }
}

/** How often a render's host disk is looked at while it runs. */
const WATCH_INTERVAL_MS = 250;

/**
 * Watches the filesystem holding `dir` while a render runs: whether it was (nearly) full at any moment. A host disk
 * filled for a few seconds may have room again by the time the render's failure is read; what counts is whether it
 * was full while the scene wrote.
 */
export function watchHostDisk(dir: string, reserveBytes = HOST_DISK_RESERVE_BYTES): { stop(): boolean } {
  let seen = hostDiskNearlyFull(dir, reserveBytes);
  const timer = setInterval(() => {
    seen ||= hostDiskNearlyFull(dir, reserveBytes);
  }, WATCH_INTERVAL_MS);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      return seen || hostDiskNearlyFull(dir, reserveBytes);
    },
  };
}

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A filesystem of its own with a size, that a test can fill to the last block and free again. */
export interface SmallDisk {
  dir: string;
  /** Takes all the space but `leaveBytes` (a file of zeros, allocated at once). */
  fill(leaveBytes?: number): void;
  /** Gives the space `fill` took back. */
  free(): void;
  availableBytes(): number;
  unmount(): void;
}

/**
 * A tmpfs of `sizeBytes` mounted at a new directory, for tests of what a full disk does; null where this process
 * may not mount (not root, or no CAP_SYS_ADMIN), with the reason.
 */
export function mountSmallDisk(sizeBytes: number): SmallDisk | { unavailable: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'small-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes},mode=1777`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    return { unavailable: `cannot mount a tmpfs here: ${String((error as { stderr?: Buffer }).stderr ?? error).trim()}` };
  }
  const filler = path.join(dir, '.filler');
  const availableBytes = () => {
    const stats = fs.statfsSync(dir);
    return stats.bavail * stats.bsize;
  };
  return {
    dir,
    availableBytes,
    fill(leaveBytes = 0) {
      // What others write between the look and the allocation may take a little of the room: asked again for less.
      for (let slack = 0; slack <= 16 * 1024 * 1024; slack += 4 * 1024 * 1024) {
        const take = availableBytes() - leaveBytes - slack;
        if (take <= 0) return;
        const before = fs.existsSync(filler) ? fs.statSync(filler).size : 0;
        try {
          execFileSync('fallocate', ['-l', String(before + take), filler], { stdio: 'pipe' });
          return;
        } catch {
          // taken meanwhile: try for a little less
        }
      }
    },
    free() {
      fs.rmSync(filler, { force: true });
    },
    unmount() {
      execFileSync('umount', ['-l', dir]);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

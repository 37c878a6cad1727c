import type { SmallDisk } from '../support/small-disk';
import type { ChaosFault } from './chaos-target';

/**
 * The fault "the disk is full": the target's data directory (a tmpfs of its own) filled to its last block for a
 * few seconds, then freed. One fill at a time; `settle()` frees it for good.
 */
export function diskFullFault(disk: SmallDisk, weight: number): ChaosFault & { settle(): void } {
  let timer: NodeJS.Timeout | undefined;
  const free = () => {
    clearTimeout(timer);
    timer = undefined;
    disk.free();
  };
  return {
    name: 'disk.full',
    weight,
    async inject(rng) {
      if (timer) return;
      disk.fill();
      timer = setTimeout(free, 2000 + rng.int(5000));
    },
    settle: free,
  };
}

import { watchHostDisk } from '../../../src/renderer/host-disk';
import { mountSmallDisk, type SmallDisk } from '../../support/small-disk';

// Whether a render's host disk was full while it ran: a disk full for a moment and free again by the time the
// render's failure is read still counts (the render failed for want of the host's space, not of its own quota).
const disk = mountSmallDisk(128 * 1024 * 1024);
const unavailable = 'unavailable' in disk ? disk.unavailable : undefined;
if (unavailable) process.stderr.write(`host-disk tests skipped: ${unavailable}\n`);
const onSmallDisk = unavailable ? describe.skip : describe;
const small = disk as SmallDisk;

afterAll(() => {
  if (!unavailable) small.unmount();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

onSmallDisk('watchHostDisk', () => {
  it('says the disk was full when it was for a moment during the watch, though it has room again at the end', async () => {
    const watch = watchHostDisk(small.dir);
    await sleep(100);
    small.fill();
    await sleep(600);
    small.free();
    await sleep(100);
    expect(watch.stop()).toBe(true);
  });

  it('says no when the disk kept its room throughout', async () => {
    const watch = watchHostDisk(small.dir);
    await sleep(600);
    expect(watch.stop()).toBe(false);
  });
});

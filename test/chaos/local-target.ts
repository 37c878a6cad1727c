import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { freePort } from '../support/emulators';
import { mountSmallDisk } from '../support/small-disk';
import type { ChaosFault, ChaosTarget } from './chaos-target';
import { diskFullFault } from './disk-filler';
import { FAULT_POINTS, DELIVERY_FAULTS, SERVICE_SETTINGS } from './fault-plan';
import { killRenderWorker, ServiceProcess } from './service-process';

/** The data directory's own filesystem, so the disk-full fault fills it and nothing else. */
const DATA_DISK_BYTES = 3 * 1024 ** 3;

/**
 * The embedded default under chaos: one `node dist/main.js` in local mode, killed at its fault points and at
 * random, its render workers killed, its tasks delivered twice, its data directory's disk filled.
 */
export async function localTarget(params: { seed: number; log: (line: string) => void }): Promise<ChaosTarget> {
  const disk = mountSmallDisk(DATA_DISK_BYTES);
  if (!('dir' in disk)) params.log(`no disk-full faults: ${disk.unavailable}`);
  const dataDir = 'dir' in disk ? disk.dir : fs.mkdtempSync(path.join(os.tmpdir(), 'manim-render-chaos-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const calmEnv: Record<string, string> = { ...SERVICE_SETTINGS, PORT: String(port), DATA_DIR: dataDir };
  const faultEnv = { ...calmEnv, MANIM_RENDER_FAULTS: JSON.stringify({ seed: params.seed, points: FAULT_POINTS, deliveries: DELIVERY_FAULTS }) };
  const service = new ServiceProcess(url, faultEnv, path.join(os.tmpdir(), `manim-render-chaos-${port}.log`));
  const diskFull = 'dir' in disk ? diskFullFault(disk, 3) : undefined;
  const faults: ChaosFault[] = [
    { name: 'kill.service', weight: 8, inject: async () => service.kill() },
    {
      name: 'kill.worker',
      weight: 8,
      inject: async (rng) => killRenderWorker(dataDir, (pids) => rng.pick(pids)),
    },
    ...(diskFull ? [diskFull] : []),
  ];
  return {
    name: 'local',
    webhooks: true,
    url,
    headers: {},
    dataDir,
    faults,
    start: () => service.start(),
    async calm() {
      diskFull?.settle();
      await service.stop();
      service.setEnv(calmEnv);
      await service.start();
    },
    async inventory() {
      const jobsDb = new DatabaseSync(path.join(dataDir, 'jobs.sqlite'), { readOnly: true });
      const jobs = jobsDb.prepare('SELECT id, status FROM jobs').all() as Array<{ id: string; status: string }>;
      jobsDb.close();
      const jobsDir = path.join(dataDir, 'blobs', 'jobs');
      const blobJobs = fs.existsSync(jobsDir) ? fs.readdirSync(jobsDir) : [];
      const tasks = new DatabaseSync(path.join(dataDir, 'tasks.sqlite'), { readOnly: true });
      const left = tasks.prepare("SELECT name FROM tasks WHERE state IN ('pending', 'dispatching')").all() as Array<{ name: string }>;
      tasks.close();
      return { jobs, blobJobs, tasksLeft: left.map((t) => t.name) };
    },
    fired: () => ({ ...service.faultsFired, restarts: service.restarts }),
    async stop() {
      diskFull?.settle();
      await service.stop();
    },
    release(keep) {
      let kept: string | undefined;
      if (keep) {
        kept = fs.mkdtempSync(path.join(os.tmpdir(), 'manim-render-chaos-kept-'));
        fs.cpSync(dataDir, kept, { recursive: true, filter: (source) => !source.endsWith('.filler') });
      }
      if ('dir' in disk) disk.unmount();
      else fs.rmSync(dataDir, { recursive: true, force: true });
      return kept;
    },
  };
}

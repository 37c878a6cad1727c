import fs from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { parseArgs } from 'node:util';
import { cpuMsOfTree, memoryOf, sleep, treeOf } from './support/proc-tree';
import { REPO, ServiceProcess } from './support/service-process';

/**
 * `npm run soak -- --jobs 2000`: thousands of small renders through one local-mode process, sampled as they go:
 * the service's RSS and open file descriptors, its worker processes, the SQLite files and DATA_DIR. What must hold:
 * nothing grows without bound (the start and the end of each curve are printed, and every sample is written to
 * bench/results/soak.json). Each render is a new one (a comment makes its code unique), so none is a cache hit.
 */

interface Sample {
  done: number;
  seconds: number;
  rssMiB: number;
  fds: number;
  processes: number;
  sqliteMiB: number;
  dataDirMiB: number;
  pendingTasks: number;
}

function dirBytes(dir: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    try {
      if (entry.isDirectory()) total += dirBytes(full);
      else if (entry.isFile()) total += fs.statSync(full).size;
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

function sample(service: ServiceProcess, done: number, started: number): Sample {
  const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
  const sqlite = fs.readdirSync(service.dataDir).filter((f) => f.includes('.sqlite')).reduce((sum, f) => sum + fs.statSync(path.join(service.dataDir, f)).size, 0);
  let pending = 0;
  try {
    const db = new DatabaseSync(path.join(service.dataDir, 'tasks.sqlite'), { readOnly: true });
    pending = (db.prepare("SELECT COUNT(*) AS n FROM tasks WHERE state IN ('pending', 'dispatching')").get() as { n: number }).n;
    db.close();
  } catch {
    // the file is busy: counted next time
  }
  return {
    done,
    seconds: Math.round((Date.now() - started) / 100) / 10,
    rssMiB: mib(memoryOf(service.pid)?.rss ?? 0),
    fds: fs.readdirSync(`/proc/${service.pid}/fd`).length,
    processes: treeOf(service.pid).length,
    sqliteMiB: mib(sqlite),
    dataDirMiB: mib(dirBytes(service.dataDir)),
    pendingTasks: pending,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { jobs: { type: 'string', default: '2000' }, concurrency: { type: 'string', default: '8' }, delete: { type: 'boolean', default: true } } });
  const jobs = Number(values.jobs);
  const inFlight = Number(values.concurrency);
  const code = fs.readFileSync(path.join(REPO, 'test', 'fixtures', 'scenes', 'tiny.py'), 'utf8');
  const service = await ServiceProcess.start({ LOG_LEVEL: 'warn', RENDER_CONCURRENCY: '2', QUOTA_SUBMITS_PER_MINUTE: '1000000', QUOTA_ACTIVE_SCENES: '100000' }, { readLogs: false });
  const samples: Sample[] = [];
  const started = Date.now();
  let submitted = 0;
  let done = 0;
  let failed = 0;
  const one = async () => {
    while (submitted < jobs) {
      const n = ++submitted;
      const res = await service.request('POST', '/v1/renders', { code: `${code}\n# soak ${n}\n`, quality: 'low' });
      const job = (await res.json()) as { id: string };
      for (;;) {
        const view = await service.getJob(job.id);
        if (['succeeded', 'failed', 'cancelled'].includes(view.status)) {
          if (view.status !== 'succeeded') failed++;
          break;
        }
        await sleep(100);
      }
      // Half the jobs are deleted once done, as users do; the rest stay, as retention would keep them.
      if (values.delete && n % 2 === 0) await service.request('DELETE', `/v1/renders/${job.id}`);
      done++;
    }
  };
  const every = Math.max(1, Math.floor(jobs / 40));
  const sampler = (async () => {
    let last = -1;
    while (done < jobs) {
      if (done - last >= every || last < 0) {
        samples.push(sample(service, done, started));
        last = done;
      }
      await sleep(500);
    }
  })();
  await Promise.all(Array.from({ length: inFlight }, one));
  await sampler;
  await sleep(2000);
  samples.push(sample(service, done, started));
  await service.stop();

  const first = samples[1] ?? samples[0]!;
  const last = samples[samples.length - 1]!;
  const rows: Array<[string, keyof Sample]> = [
    ['RSS of the service (MiB)', 'rssMiB'],
    ['open file descriptors', 'fds'],
    ['processes (service and workers)', 'processes'],
    ['SQLite files (MiB)', 'sqliteMiB'],
    ['DATA_DIR (MiB)', 'dataDirMiB'],
    ['tasks pending', 'pendingTasks'],
  ];
  const lines = [
    `soak: ${done} renders (${failed} not succeeded) in ${last.seconds} s, half deleted once done`,
    '',
    `| measure | after ${first.done} | after ${last.done} | peak |`,
    '| --- | --- | --- | --- |',
    ...rows.map(([label, key]) => `| ${label} | ${first[key]} | ${last[key]} | ${Math.max(...samples.map((s) => s[key] as number))} |`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  const out = path.join(REPO, 'bench', 'results', 'soak.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify({ jobs, failed, samples, cpuMsOfBench: cpuMsOfTree(process.pid) }, null, 2));
  if (failed > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});

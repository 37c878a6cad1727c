import path from 'node:path';
import { SqliteJobStore } from '../../src/adapters/local/sqlite-job-store';
import { ffprobe, fixture, startService } from '../support/service-harness';
import { jobRecord } from '../support/job-record';

jest.setTimeout(120_000);

describe('the repair of lost work, in-process in local mode', () => {
  it('renders a job whose tasks were never queued (its submit died between storing it and queueing them)', async () => {
    const service = await startService({ REPAIR_AFTER_SECONDS: '1', REPAIR_INTERVAL_SECONDS: '1' });
    try {
      // The job store the service uses, written as its submit would have written it, without the tasks.
      const store = new SqliteJobStore({ filePath: path.join(service.dataDir, 'jobs.sqlite') });
      const job = jobRecord({ id: 'lostjob1', owner: 'local', code: fixture('tiny.py'), at: new Date(), scenes: ['TinyCircle'] });
      await store.createJob({ job });
      store.close();

      const done = await service.waitFor(job.id, undefined, 60_000);
      expect(done.status).toBe('succeeded');
      expect(done.scenes[0]).toMatchObject({ attempts: 1 });
      expect(await ffprobe(await service.download(done, 'TinyCircle'))).toMatchObject({ codec: 'h264', width: 854, height: 480 });
    } finally {
      await service.stop();
    }
  });
});

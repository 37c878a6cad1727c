import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fixture, startService } from '../support/service-harness';

jest.setTimeout(180_000);

describe('restarting the service', () => {
  it('renders jobs that were queued or in flight when the process stopped, after it starts again', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'manim-render-restart-'));
    const first = await startService({}, { dataDir });
    // One render in flight and two queued behind it (one render at a time).
    const ids = [];
    for (const file of ['long_timeline.py', 'tiny.py', 'multi_scene.py']) {
      ids.push((await first.submit({ code: fixture(file), quality: 'low' })).id);
    }
    await first.waitFor(ids[0]!, (j) => j.status === 'rendering');
    await first.stop({ graceMs: 0, keepData: true });

    const second = await startService({}, { dataDir });
    try {
      for (const id of ids) {
        const job = await second.waitFor(id);
        expect(job.status).toBe('succeeded');
      }
      // The interrupted render was handed back, not lost or failed: it took a second attempt.
      expect((await second.job(ids[0]!)).scenes[0]?.attempts).toBe(2);
    } finally {
      await second.stop();
    }
  });
});

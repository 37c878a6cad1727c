import type { JobView } from '../../src/contracts/job';
import { fixture, startService, type ServiceHarness } from '../support/service-harness';

jest.setTimeout(120_000);

let service: ServiceHarness;

beforeAll(async () => {
  service = await startService();
});

afterAll(async () => {
  await service.stop();
});

/** Reads a Server-Sent Events response to its end, as (event, data) pairs. */
async function readEvents(res: Response): Promise<Array<{ event: string; data: unknown }>> {
  const text = await res.text();
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('event:'))
    .map((block) => {
      const [eventLine, dataLine] = block.split('\n');
      return { event: eventLine!.slice('event: '.length), data: JSON.parse(dataLine!.slice('data: '.length)) as unknown };
    });
}

describe('the progress stream', () => {
  it('streams the job as its progress grows, and ends once it is terminal', async () => {
    const job = await service.submit({ code: fixture('long_timeline.py'), quality: 'low' });
    const res = await service.request('GET', `/v1/renders/${job.id}/events`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const events = await readEvents(res);
    const jobs = events.filter((e) => e.event === 'job').map((e) => e.data as JobView);
    const progress = jobs.map((j) => j.progress);
    expect(progress.some((p) => p > 0 && p < 1)).toBe(true);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
    expect(jobs[jobs.length - 1]).toMatchObject({ status: 'succeeded', progress: 1 });
    expect(events[events.length - 1]).toEqual({ event: 'end', data: { id: job.id, status: 'succeeded' } });
  });

  it('answers an unknown job with 404 before streaming', async () => {
    expect((await service.request('GET', '/v1/renders/nosuchjob/events')).status).toBe(404);
  });
});

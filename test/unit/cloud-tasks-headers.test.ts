import { readCloudTasksHeaders } from '../../src/adapters/google/cloud-tasks-headers';
import { cloudTaskId } from '../../src/adapters/google/cloud-tasks-queue';

describe('readCloudTasksHeaders', () => {
  it('reads the task name, queue and counts of a delivery, whatever the header case', () => {
    expect(
      readCloudTasksHeaders({
        'X-CloudTasks-TaskName': 'abc-render-j1-Intro',
        'x-cloudtasks-queuename': 'renders',
        'x-cloudtasks-taskretrycount': '2',
        'x-cloudtasks-taskexecutioncount': '1',
      }),
    ).toEqual({ taskName: 'abc-render-j1-Intro', queueName: 'renders', retryCount: 2, executionCount: 1 });
  });

  it('counts a first delivery, or malformed counts, as zero', () => {
    expect(readCloudTasksHeaders({ 'x-cloudtasks-taskname': 't' })).toMatchObject({ retryCount: 0, executionCount: 0 });
    expect(readCloudTasksHeaders({ 'x-cloudtasks-taskname': 't', 'x-cloudtasks-taskretrycount': '-1' })?.retryCount).toBe(0);
    expect(readCloudTasksHeaders({ 'x-cloudtasks-taskname': 't', 'x-cloudtasks-taskretrycount': '1e3' })?.retryCount).toBe(0);
  });

  it('answers null for a request that names no task', () => {
    expect(readCloudTasksHeaders({ 'content-type': 'application/json' })).toBeNull();
    expect(readCloudTasksHeaders({ 'x-cloudtasks-taskname': ' ' })).toBeNull();
  });
});

describe('cloudTaskId', () => {
  it('is the same for the same name and different for different names', () => {
    expect(cloudTaskId('render-j1-Intro')).toBe(cloudTaskId('render-j1-Intro'));
    expect(cloudTaskId('render-j1-Intro')).not.toBe(cloudTaskId('render-j1-Outro'));
  });

  it('starts with a hash, so names that share a time-ordered prefix spread out', () => {
    const ids = ['render-lz3k9q2x1-A', 'render-lz3k9q2x2-A'].map(cloudTaskId);
    expect(ids[0]!.slice(0, 4)).not.toBe(ids[1]!.slice(0, 4));
    expect(ids[0]).toMatch(/^[0-9a-f]{32}-render-lz3k9q2x1-A$/);
  });

  it('keeps to the characters and length Cloud Tasks allows, and keeps names apart that sanitise alike', () => {
    const long = cloudTaskId(`render-${'x'.repeat(1000)}`);
    expect(long.length).toBeLessThanOrEqual(500);
    expect(cloudTaskId('a.b/c d')).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(cloudTaskId('a.b')).not.toBe(cloudTaskId('a/b'));
  });
});

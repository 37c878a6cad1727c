import { randomBytes } from 'node:crypto';
import { Storage } from '@google-cloud/storage';
import { CloudTasksQueue } from '../../src/adapters/google/cloud-tasks-queue';
import { TASK_PAYLOAD_VERSION } from '../../src/contracts/task-payload';
import type { CanaryOutcome } from '../../src/domain/canary/canary-outcome';
import type { EmulatedStack } from '../../src/dev/emulated-stack';

/**
 * What deploy.sh does for a new revision, on the emulated stack: a canary-render task posted to the renderer by
 * Cloud Tasks with the invoker's token, then the outcome it writes under canary/<id>/ in the bucket.
 */
export async function runCanary(stack: EmulatedStack, timeoutMs = 120_000): Promise<{ outcome: CanaryOutcome; videoBytes: number }> {
  const { GOOGLE_CLOUD_PROJECT: projectId, TASKS_LOCATION: location, TASKS_QUEUE: queue, TASKS_INVOKER_SA: invoker, RENDERER_URL: audience, BUCKET: bucket } =
    stack.settings;
  const canaryId = `canary-${randomBytes(6).toString('hex')}`;
  const tasks = new CloudTasksQueue({
    projectId: projectId!,
    location: location!,
    queue: queue!,
    targetUrl: `${stack.rendererUrl}/tasks`,
    serviceAccountEmail: invoker!,
    audience: audience!,
    emulatorHost: stack.emulators.tasksHost,
  });
  try {
    await tasks.enqueue({ tasks: [{ name: canaryId, payload: { type: 'canary-render', version: TASK_PAYLOAD_VERSION, canaryId }, dispatchDeadlineSeconds: 300 }] });
  } finally {
    await tasks.close();
  }
  const files = new Storage({ projectId, apiEndpoint: stack.emulators.gcsEndpoint }).bucket(bucket!);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [exists] = await files.file(`canary/${canaryId}/outcome.json`).exists();
    if (exists) {
      const [text] = await files.file(`canary/${canaryId}/outcome.json`).download();
      const outcome = JSON.parse(text.toString('utf8')) as CanaryOutcome;
      const video = outcome.ok ? (await files.file(outcome.video.key).getMetadata())[0] : undefined;
      return { outcome, videoBytes: Number(video?.size ?? 0) };
    }
    if (Date.now() > deadline) throw new Error(`no canary outcome within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

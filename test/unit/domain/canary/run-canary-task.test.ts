import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileBlobStore } from '../../../../src/adapters/local/file-blob-store';
import { TASK_PAYLOAD_VERSION } from '../../../../src/contracts/task-payload';
import { canaryOutcomeKey, type CanaryOutcome } from '../../../../src/domain/canary/canary-outcome';
import { runCanaryTask, type RunCanaryDeps } from '../../../../src/domain/canary/run-canary-task';
import type { RenderAttempt, SceneRenderer } from '../../../../src/domain/ports/scene-renderer';
import { createLogger } from '../../../../src/logging/create-logger';

// The canary's decisions with a renderer that answers as told; the real render is in emulated-e2e.test.ts and
// test/image/image.test.ts.
describe('runCanaryTask', () => {
  let dir: string;
  let blobStore: FileBlobStore;
  let renders: number;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'canary-'));
    blobStore = new FileBlobStore({ rootDir: path.join(dir, 'blobs') });
    renders = 0;
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function deps(answer: 'ok' | 'fails', ready = true): RunCanaryDeps {
    const renderer: SceneRenderer = {
      render: async () => {
        renders++;
        const file = path.join(dir, 'Canary.mp4');
        fs.writeFileSync(file, Buffer.alloc(2048));
        const base = { log: 'Traceback: LaTeX Error: File `standalone.cls\' not found.', renderSeconds: 1.5, boundaries: {}, dispose: async () => undefined };
        return (answer === 'ok'
          ? { ...base, ok: true, file: { filePath: file, contentType: 'video/mp4', bytes: 2048, durationSeconds: 0.5, width: 854, height: 480 } }
          : { ...base, ok: false, failure: { reason: 'scene_error', message: 'LaTeX compilation error' } }) as RenderAttempt;
      },
      stitch: async () => {
        throw new Error('not used');
      },
    };
    return {
      blobStore,
      renderer,
      readiness: async () => ({ ready, checks: { python: { ok: true }, sandbox: ready ? { ok: true } : { ok: false, detail: 'sandbox layers required but not active: seccomp' } } }),
      revision: 'manim-renderer-abc-261203',
      clock: { now: () => new Date('2026-12-03T12:00:00Z') },
      logger: createLogger({ level: 'silent' }),
      seed: 0,
    };
  }

  const task = (canaryId: string) => ({ type: 'canary-render' as const, version: TASK_PAYLOAD_VERSION, canaryId });
  const outcomeOf = async (canaryId: string) =>
    JSON.parse(fs.readFileSync(path.join(dir, 'blobs', canaryOutcomeKey(canaryId)), 'utf8')) as CanaryOutcome;

  it('stores the video and an outcome naming the revision that rendered it', async () => {
    await runCanaryTask(deps('ok'), { task: task('deploy-1-aaaa'), signal: new AbortController().signal });
    expect(await outcomeOf('deploy-1-aaaa')).toMatchObject({
      ok: true,
      revision: 'manim-renderer-abc-261203',
      renderSeconds: 1.5,
      video: { key: 'canary/deploy-1-aaaa/Canary.mp4', bytes: 2048, width: 854, height: 480 },
      readiness: { python: { ok: true }, sandbox: { ok: true } },
    });
    expect((await blobStore.stat({ key: 'canary/deploy-1-aaaa/Canary.mp4' }))?.bytes).toBe(2048);
  });

  it('renders a canary once, however often its task is delivered', async () => {
    await runCanaryTask(deps('ok'), { task: task('deploy-2-bbbb'), signal: new AbortController().signal });
    await runCanaryTask(deps('fails'), { task: task('deploy-2-bbbb'), signal: new AbortController().signal });
    expect(renders).toBe(1);
    expect((await outcomeOf('deploy-2-bbbb')).ok).toBe(true);
  });

  it('says why a render failed, with the end of its log', async () => {
    await runCanaryTask(deps('fails'), { task: task('deploy-3-cccc'), signal: new AbortController().signal });
    expect(await outcomeOf('deploy-3-cccc')).toMatchObject({
      ok: false,
      reason: 'the canary scene did not render: scene_error (LaTeX compilation error)',
      log: expect.stringContaining('standalone.cls'),
    });
  });

  it('renders nothing on a renderer that is not ready, and passes on its readiness checks in their own words', async () => {
    await runCanaryTask(deps('ok', false), { task: task('deploy-4-dddd'), signal: new AbortController().signal });
    expect(renders).toBe(0);
    expect(await outcomeOf('deploy-4-dddd')).toMatchObject({
      ok: false,
      reason: 'the renderer is not ready',
      readiness: { sandbox: { ok: false, detail: 'sandbox layers required but not active: seccomp' } },
    });
  });
});

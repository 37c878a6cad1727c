import { Router, type Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { sceneNameSchema } from '../../contracts/render-request';
import { ConflictError, NotFoundError } from '../../domain/errors';
import { getOwnedJob } from '../../domain/get-owned-job';
import type { BlobStore } from '../../domain/ports/blob-store';
import { parseByteRange } from '../byte-range';
import type { ApiDeps } from '../deps';
import { route } from '../middleware/route';
import { principalOf } from '../principal';
import { jobIdParams } from './renders';
import { videoPath } from '../job-view';
import type { SceneUrl } from '../../contracts/batch';

const sceneParams = jobIdParams.extend({ scene: sceneNameSchema });

/** A scene's rendered file (with Range support, or a redirect to a signed URL) and its render log. */
export function sceneFilesRouter(deps: ApiDeps): Router {
  const router = Router();

  const findScene = async (params: z.infer<typeof sceneParams>, res: Response) => {
    const job = await getOwnedJob(deps.jobStore, { id: params.id, owner: principalOf(res) });
    const scene = job.scenes.find((s) => s.name === params.scene);
    if (!scene) throw new NotFoundError(`no scene ${params.scene} in render job ${params.id}`);
    return scene;
  };

  router.get(
    '/v1/renders/:id/scenes/:scene/video',
    route({ params: sceneParams }, async ({ params, req, res }) => {
      const scene = await findScene(params, res);
      if (!scene.output) throw new ConflictError(`scene ${scene.name} has no output: it is ${scene.status}`);
      const signed = await deps.blobStore.signedUrl({ key: scene.output.blobKey, expiresInSeconds: deps.signedUrlSeconds });
      if (signed) {
        res.set('Cache-Control', 'private, no-store').redirect(302, signed);
        return;
      }
      const filename = scene.output.blobKey.split('/').pop() ?? 'output';
      res.set('Content-Disposition', `inline; filename="${filename}"`);
      await sendBlob(deps.blobStore, scene.output.blobKey, req.headers.range, res);
    }),
  );

  router.get(
    '/v1/renders/:id/scenes/:scene/url',
    route({ params: sceneParams }, async ({ params, req, res }) => {
      const scene = await findScene(params, res);
      if (!scene.output) throw new ConflictError(`scene ${scene.name} has no output: it is ${scene.status}`);
      const expiresAt = new Date(Date.now() + deps.signedUrlSeconds * 1000).toISOString();
      const signed = await deps.blobStore.signedUrl({ key: scene.output.blobKey, expiresInSeconds: deps.signedUrlSeconds });
      // Without signing (the embedded store) the API serves the file itself, to the same caller.
      const url = signed ?? new URL(videoPath(params.id, scene.name), `${req.protocol}://${req.get('host')}`).toString();
      return { status: 200, json: { url, expiresAt } satisfies SceneUrl };
    }),
  );

  router.get(
    '/v1/renders/:id/scenes/:scene/logs',
    route({ params: sceneParams }, async ({ params, req, res }) => {
      const scene = await findScene(params, res);
      if (!scene.logKey) throw new ConflictError(`scene ${scene.name} has no log yet: it is ${scene.status}`);
      await sendBlob(deps.blobStore, scene.logKey, req.headers.range, res);
    }),
  );

  return router;
}

/** Streams a blob, honouring a single-range `Range` header so a `<video>` element can seek. */
async function sendBlob(store: BlobStore, key: string, rangeHeader: string | undefined, res: Response): Promise<void> {
  const info = await store.stat({ key });
  if (!info) throw new NotFoundError('the file is gone');
  res.set({ 'Accept-Ranges': 'bytes', 'Content-Type': info.contentType, 'Cache-Control': 'private, max-age=3600' });
  const range = parseByteRange(rangeHeader, info.bytes);
  if (range === 'unsatisfiable') {
    res.status(416).set('Content-Range', `bytes */${info.bytes}`).end();
    return;
  }
  if (range) {
    res.status(206).set({ 'Content-Range': `bytes ${range.start}-${range.end}/${info.bytes}`, 'Content-Length': String(range.end - range.start + 1) });
  } else {
    res.status(200).set('Content-Length', String(info.bytes));
  }
  const stream = await store.read({ key, ...(range ?? {}) });
  await pipeline(stream, res);
}

import { Router, type Response } from 'express';
import { ConflictError } from '../../domain/errors';
import type { ApiDeps } from '../deps';
import { route } from '../middleware/route';
import { videoPath } from '../job-view';
import type { SceneUrl } from '../../contracts/batch';
import { findOwnedScene, sceneParams, type SceneParams } from '../owned-scene';
import { sendBlob } from '../send-blob';

/** A scene's rendered file (with Range support, or a redirect to a signed URL) and its render log. */
export function sceneFilesRouter(deps: ApiDeps): Router {
  const router = Router();

  const findScene = async (params: SceneParams, res: Response) => (await findOwnedScene(deps, params, res)).scene;

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

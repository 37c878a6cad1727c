import { Router } from 'express';
import { z } from 'zod';
import { NotFoundError } from '../../domain/errors';
import { liveSegmentKey } from '../../domain/blob-keys';
import { LIVE_SEGMENT_CACHE_CONTROL } from '../../domain/live/live-segment';
import { livePlaylist, toM3u8 } from '../../domain/live/live-playlist';
import type { ApiDeps } from '../deps';
import { route } from '../middleware/route';
import { findOwnedScene, sceneParams } from '../owned-scene';
import { sendBlob } from '../send-blob';

const segmentParams = sceneParams.extend({ index: z.coerce.number().int().nonnegative().max(1_000_000) });


/**
 * Live playback (domain/live/): a scene's HLS playlist while it renders, and its segments, with the auth and the
 * tenant rules of its other files. In gcp mode a segment is a redirect to a signed Cloud Storage URL.
 */
export function liveStreamRouter(deps: ApiDeps): Router {
  const router = Router();

  router.get(
    '/v1/renders/:id/scenes/:scene/live.m3u8',
    route({ params: sceneParams }, async ({ params, res }) => {
      const { job, scene } = await findOwnedScene(deps, params, res);
      if (job.format !== 'mp4') throw new NotFoundError(`live playback is for mp4 renders; this one is ${job.format}`);
      const playlist = livePlaylist(scene);
      if (playlist.ended && playlist.segments.length === 0) {
        throw new NotFoundError(`scene ${scene.name} has no live stream: it is ${scene.status} without one${scene.cacheHit ? ' (reused from an earlier render)' : ''}`);
      }
      res
        .status(200)
        .set({
          'Content-Type': 'application/vnd.apple.mpegurl',
          // A growing playlist must be fetched afresh each time; an ended one is final.
          'Cache-Control': playlist.ended ? 'private, max-age=3600' : 'no-cache',
        })
        .send(toM3u8(playlist, (index) => `live/${index}.ts`));
    }),
  );

  router.get(
    '/v1/renders/:id/scenes/:scene/live/:index.ts',
    route({ params: segmentParams }, async ({ params, req, res }) => {
      const { scene } = await findOwnedScene(deps, params, res);
      if (!scene.live?.segments.some((segment) => segment.index === params.index)) {
        throw new NotFoundError(`scene ${scene.name} has no live segment ${params.index} (yet)`);
      }
      const key = liveSegmentKey(params.id, scene.name, params.index);
      const signed = await deps.blobStore.signedUrl({ key, expiresInSeconds: deps.signedUrlSeconds });
      if (signed) {
        res.set('Cache-Control', 'private, no-store').redirect(302, signed);
        return;
      }
      await sendBlob(deps.blobStore, key, req.headers.range, res, LIVE_SEGMENT_CACHE_CONTROL);
    }),
  );

  return router;
}

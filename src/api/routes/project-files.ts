import express, { Router } from 'express';
import { z } from 'zod';
import { createUploadRequestSchema, sha256Schema } from '../../contracts/project-files';
import { NotFoundError, ValidationError } from '../../domain/errors';
import { pendingUploadKey } from '../../domain/project-files/project-file-keys';
import { findProjectFile, storeProjectFile } from '../../domain/project-files/stored-project-file';
import type { ApiDeps } from '../deps';
import { route } from '../middleware/route';
import { principalOf } from '../principal';

/** Cloud Run refuses HTTP/1 request bodies past 32 MiB: larger files go through a signed upload. */
export const MAX_DIRECT_UPLOAD_BYTES = 32 * 1024 * 1024;
/** How long a signed upload URL works. */
const UPLOAD_URL_SECONDS = 15 * 60;

const fileParams = z.strictObject({ sha256: sha256Schema });

/**
 * A principal's project files: uploaded once (the bytes as the body, or straight to Cloud Storage through a signed
 * URL), then named by hash from any number of renders.
 */
export function projectFilesRouter(deps: ApiDeps): Router {
  const router = Router();
  const { projectFiles } = deps;
  const directLimit = Math.min(projectFiles.limits.maxFileBytes, MAX_DIRECT_UPLOAD_BYTES);

  router.post(
    '/v1/files',
    express.raw({ type: () => true, limit: directLimit }),
    route({}, async ({ req, res }) => {
      const bytes = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const stored = await storeProjectFile(projectFiles, { owner: principalOf(res), bytes });
      return { status: 201, json: stored, headers: { Location: `/v1/files/${stored.sha256}` } };
    }),
  );

  router.post(
    '/v1/files/uploads',
    express.json({ limit: 16 * 1024 }),
    route({ body: createUploadRequestSchema }, async ({ body, res }) => {
      const owner = principalOf(res);
      if (body.size > projectFiles.limits.maxFileBytes) {
        throw new ValidationError('file_too_large', `the file is ${body.size} bytes; the limit is ${projectFiles.limits.maxFileBytes}`, {
          bytes: body.size,
          limit: projectFiles.limits.maxFileBytes,
        });
      }
      const existing = await findProjectFile(projectFiles, { owner, sha256: body.sha256 });
      if (existing) return { status: 200, json: { ...existing, uploadUrl: null } };
      const uploadUrl = await projectFiles.blobStore.signedUploadUrl({
        key: pendingUploadKey(owner, body.sha256),
        contentType: body.contentType,
        expiresInSeconds: UPLOAD_URL_SECONDS,
      });
      if (!uploadUrl) {
        throw new ValidationError('uploads_not_supported', `this service takes files as the body of POST /v1/files (up to ${directLimit} bytes)`, {
          maxBytes: directLimit,
        });
      }
      return {
        status: 201,
        json: {
          sha256: body.sha256,
          uploadUrl,
          method: 'PUT',
          headers: { 'Content-Type': body.contentType },
          expiresAt: new Date(deps.clock.now().getTime() + UPLOAD_URL_SECONDS * 1000).toISOString(),
        },
      };
    }),
  );

  router.get(
    '/v1/files/:sha256',
    route({ params: fileParams }, async ({ params, res }) => {
      const stored = await findProjectFile(projectFiles, { owner: principalOf(res), sha256: params.sha256 });
      if (!stored) throw new NotFoundError(`no file ${params.sha256} of yours is stored`);
      return { status: 200, json: stored };
    }),
  );

  return router;
}

import type { Response } from 'express';
import { z } from 'zod';
import { sceneNameSchema } from '../contracts/render-request';
import { NotFoundError } from '../domain/errors';
import { getOwnedJob } from '../domain/get-owned-job';
import type { JobRecord, SceneRecord } from '../domain/job';
import type { ApiDeps } from './deps';
import { principalOf } from './principal';
import { jobIdParams } from './routes/renders';

export const sceneParams = jobIdParams.extend({ scene: sceneNameSchema });
export type SceneParams = z.infer<typeof sceneParams>;

/** The caller's job and one of its scenes; another principal's job is as missing as one that never was. */
export async function findOwnedScene(deps: Pick<ApiDeps, 'jobStore'>, params: SceneParams, res: Response): Promise<{ job: JobRecord; scene: SceneRecord }> {
  const job = await getOwnedJob(deps.jobStore, { id: params.id, owner: principalOf(res) });
  const scene = job.scenes.find((s) => s.name === params.scene);
  if (!scene) throw new NotFoundError(`no scene ${params.scene} in render job ${params.id}`);
  return { job, scene };
}

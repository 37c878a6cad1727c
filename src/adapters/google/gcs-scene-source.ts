import { Storage } from '@google-cloud/storage';
import { ValidationError } from '../../domain/errors';
import type { SceneFile, SceneSource } from '../../domain/ports/scene-source';

/** Reads the `.py` objects under a `gs://bucket/prefix/` (any bucket the ingress's service account may read). */
export class GcsSceneSource implements SceneSource {
  private readonly storage: Storage;

  constructor(params: { projectId: string; apiEndpoint?: string }) {
    this.storage = new Storage({ projectId: params.projectId, ...(params.apiEndpoint && { apiEndpoint: params.apiEndpoint }) });
  }

  async listSceneFiles({ prefix, maxFiles, maxBytes }: { prefix: string; maxFiles: number; maxBytes: number }): Promise<SceneFile[]> {
    const match = /^gs:\/\/([^/]+)\/(.*)$/.exec(prefix);
    if (!match) throw new ValidationError('invalid_source', `not a gs:// prefix: ${prefix}`);
    const [, bucketName, path] = match as unknown as [string, string, string];
    const [files] = await this.storage.bucket(bucketName).getFiles({ prefix: path, maxResults: maxFiles + 1, autoPaginate: true });
    const scenes = files.filter((file) => file.name.endsWith('.py')).sort((a, b) => a.name.localeCompare(b.name));
    if (scenes.length > maxFiles) throw new ValidationError('too_many_files', `more than ${maxFiles} .py files under ${prefix}`);
    return Promise.all(
      scenes.map(async (file) => {
        if (Number(file.metadata.size ?? 0) > maxBytes) {
          // Left to the render request's own size check, which names the limit.
          return { name: `gs://${bucketName}/${file.name}`, code: 'x'.repeat(maxBytes + 1) };
        }
        const [contents] = await file.download();
        return { name: `gs://${bucketName}/${file.name}`, code: contents.toString('utf8') };
      }),
    );
  }
}

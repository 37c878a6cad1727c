import { renderClient } from '../../../../../lib/render-client';

/** The job's first scene's video, streamed through the app: the browser never talks to the service itself. */
export async function GET(_request: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  const { id } = await params;
  const job = await renderClient.get(id);
  const scene = job.scenes.find((s) => s.status === 'succeeded');
  if (!scene) return Response.json({ error: `job ${id} has no finished scene` }, { status: 404 });
  const video = await renderClient.download(id, scene.name);
  const headers = new Headers({ 'content-type': video.headers.get('content-type') ?? 'video/mp4', 'cache-control': 'private, max-age=3600' });
  const length = video.headers.get('content-length');
  if (length) headers.set('content-length', length);
  return new Response(video.body, { status: 200, headers });
}

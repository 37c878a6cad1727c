import { renderClient } from '../../../../lib/render-client';

/**
 * Waits on the server for the job (the SDK follows the service's progress stream) and passes each change on to the
 * page as one JSON line: status, progress, and each scene's status and error. It ends when the job does.
 */
export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  const { id } = await params;
  const encoder = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      const send = (line: unknown) => controller.enqueue(encoder.encode(`${JSON.stringify(line)}\n`));
      try {
        await renderClient.wait(id, {
          signal: request.signal,
          timeoutMs: 600_000,
          onProgress: (job) =>
            send({
              status: job.status,
              progress: job.progress,
              scenes: job.scenes.map((scene) => ({ name: scene.name, status: scene.status, error: scene.error?.message })),
            }),
        });
      } catch (error) {
        send({ status: 'error', error: (error as Error).message });
      }
      controller.close();
    },
  });
  return new Response(stream, { headers: { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store' } });
}

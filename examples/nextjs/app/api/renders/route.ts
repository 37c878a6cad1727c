import { RenderServiceError, ValidationError } from 'manim-render/client';
import { renderClient } from '../../../lib/render-client';

/** Submits the page's scene. The page gets the job's id back, and nothing of the service's. */
export async function POST(request: Request): Promise<Response> {
  const body = (await request.json().catch(() => null)) as { code?: unknown; quality?: unknown } | null;
  if (typeof body?.code !== 'string') return Response.json({ error: 'send {"code": "..."}' }, { status: 400 });
  const quality = body.quality === 'medium' || body.quality === 'high' ? body.quality : 'low';
  try {
    const job = await renderClient.submit({ code: body.code, quality });
    return Response.json({ id: job.id }, { status: 202 });
  } catch (error) {
    if (error instanceof ValidationError) return Response.json({ error: error.message, code: error.code, details: error.details }, { status: 400 });
    if (error instanceof RenderServiceError) return Response.json({ error: error.message }, { status: 502 });
    throw error;
  }
}

import 'server-only';
import { createRenderClient, type RenderClientAuth } from 'manim-render/client';

/**
 * The one client of the render service, on the server only: the browser never sees the service's address or any
 * credential. MANIM_RENDER_URL says where the service is; the credential, as a real deployment has it:
 *   - nothing, against `npm start` (AUTH_MODE=none on loopback);
 *   - MANIM_RENDER_API_KEY, a key an operator created (`manim-render keys create`);
 *   - MANIM_RENDER_AUTH=google: Google ID tokens for the service's URL, from the app's own service account (on
 *     Cloud Run, or anywhere with Application Default Credentials), for a service deployed with AUTH_MODE=iam.
 */
function auth(): RenderClientAuth {
  if (process.env.MANIM_RENDER_API_KEY) return { type: 'apiKey', key: process.env.MANIM_RENDER_API_KEY };
  if (process.env.MANIM_RENDER_AUTH === 'google') return { type: 'google' };
  return { type: 'none' };
}

export const renderClient = createRenderClient({ baseUrl: process.env.MANIM_RENDER_URL ?? 'http://127.0.0.1:8080', auth: auth() });

import { createHmac } from 'node:crypto';

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`: the Manim-Render-Signature header. */
export function signWebhook(params: { body: string; secret: string; timestampSeconds: number }): string {
  const mac = createHmac('sha256', params.secret).update(`${params.timestampSeconds}.${params.body}`).digest('hex');
  return `t=${params.timestampSeconds},v1=${mac}`;
}

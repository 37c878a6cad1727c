import { createHmac, timingSafeEqual } from 'node:crypto';
import { webhookEventSchema, type WebhookEvent } from '../contracts/webhook-event';

export interface VerifyWebhookOptions {
  /** Largest accepted difference between the signature's time and now, either way. Default 300 s. */
  toleranceSeconds?: number;
  /** The current time in milliseconds (tests). */
  now?: () => number;
}

export type WebhookVerificationFailure = 'missing_header' | 'malformed_header' | 'bad_signature' | 'timestamp_out_of_tolerance' | 'invalid_payload';

/** The webhook request is not a genuine, fresh event from the service: answer it with a 400 and do nothing. */
export class WebhookVerificationError extends Error {
  constructor(
    readonly reason: WebhookVerificationFailure,
    message: string,
  ) {
    super(message);
    this.name = 'WebhookVerificationError';
  }
}

/**
 * Checks a webhook delivery and returns its event. `body` must be the raw request body exactly as received (in a
 * Next.js route handler: `await request.text()`), `header` the `Manim-Render-Signature` header
 * (`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`; several `v1` are accepted, for secret rotation) and
 * `secret` your webhook secret. Throws a `WebhookVerificationError` unless a signature matches (compared in
 * constant time), its time is within `toleranceSeconds` of now (so a captured delivery cannot be replayed later),
 * and the body is a valid event. Deliveries are at least once: deduplicate on the event's `id`.
 */
export function verifyWebhook(body: string | Uint8Array, header: string | null | undefined, secret: string, options: VerifyWebhookOptions = {}): WebhookEvent {
  if (!header) throw new WebhookVerificationError('missing_header', 'no Manim-Render-Signature header');
  const { timestamp, signatures } = parseSignatureHeader(header);
  const raw = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const expected = createHmac('sha256', secret).update(`${timestamp}.`).update(raw).digest();
  const matches = signatures.some((hex) => {
    const given = Buffer.from(hex, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!matches) throw new WebhookVerificationError('bad_signature', 'no signature matches the body and secret');
  const toleranceSeconds = options.toleranceSeconds ?? 300;
  const nowSeconds = Math.floor((options.now ?? Date.now)() / 1000);
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) {
    throw new WebhookVerificationError('timestamp_out_of_tolerance', `the signature is ${nowSeconds - timestamp} s old; at most ${toleranceSeconds} s accepted`);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new WebhookVerificationError('invalid_payload', 'the body is not JSON');
  }
  const event = webhookEventSchema.safeParse(json);
  if (!event.success) throw new WebhookVerificationError('invalid_payload', `the body is not a webhook event: ${event.error.message}`);
  return event.data;
}

function parseSignatureHeader(header: string): { timestamp: number; signatures: string[] } {
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const [key, value] = part.trim().split('=', 2) as [string, string | undefined];
    if (key === 't' && value && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    else if (key === 'v1' && value && /^[0-9a-f]{64}$/i.test(value)) signatures.push(value);
  }
  if (timestamp === undefined || signatures.length === 0) {
    throw new WebhookVerificationError('malformed_header', 'the signature header needs t=<unix seconds> and v1=<hex signature>');
  }
  return { timestamp, signatures };
}

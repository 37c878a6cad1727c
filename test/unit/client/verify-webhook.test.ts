import { createHmac } from 'node:crypto';
import type { JobView } from '../../../src/contracts/job';
import { verifyWebhook, WebhookVerificationError } from '../../../src/client/verify-webhook';

const NO_COST = { cpuSeconds: 0, wallSeconds: 0, peakMemoryBytes: 0, instanceSeconds: 0, estimatedUsd: 0 };

const SECRET = 'whsec_test_0123456789';
const NOW_MS = Date.parse('2025-06-01T12:00:00Z');
const now = () => NOW_MS;
const nowSeconds = Math.floor(NOW_MS / 1000);

const job: JobView = {
  id: 'job1',
  status: 'succeeded',
  progress: 1,
  quality: 'low',
  format: 'mp4',
  timeoutSeconds: 120,
  metadata: {},
  scenes: [{ name: 'TinyCircle', status: 'succeeded', progress: 1, attempts: 1, cost: NO_COST }],
  cost: NO_COST,
  createdAt: '2025-06-01T11:59:00Z',
  updatedAt: '2025-06-01T11:59:30Z',
};
const body = JSON.stringify({ id: 'evt_1', type: 'render.finished', createdAt: '2025-06-01T11:59:31Z', data: job });

/** Signs as the service does: hex HMAC-SHA256 of "<t>.<raw body>". */
const sign = (payload: string, t: number, secret = SECRET) => `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${payload}`).digest('hex')}`;

function reasonOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof WebhookVerificationError) return error.reason;
    throw error;
  }
  throw new Error('did not throw');
}

describe('verifyWebhook', () => {
  it('accepts a valid signature and returns the parsed event', () => {
    const event = verifyWebhook(body, sign(body, nowSeconds - 10), SECRET, { now });
    expect(event).toMatchObject({ id: 'evt_1', type: 'render.finished', data: { id: 'job1', status: 'succeeded' } });
  });

  it('accepts the body as bytes, and any of several signatures (a secret being rotated)', () => {
    const header = `${sign(body, nowSeconds, 'old-secret')},${sign(body, nowSeconds).split(',')[1]}`;
    expect(verifyWebhook(new TextEncoder().encode(body), header, SECRET, { now }).id).toBe('evt_1');
  });

  it('rejects a tampered body', () => {
    const header = sign(body, nowSeconds);
    expect(reasonOf(() => verifyWebhook(body.replace('succeeded', 'failed'), header, SECRET, { now }))).toBe('bad_signature');
  });

  it('rejects a signature made with another secret', () => {
    expect(reasonOf(() => verifyWebhook(body, sign(body, nowSeconds, 'someone-else'), SECRET, { now }))).toBe('bad_signature');
  });

  it('rejects a timestamp changed after signing', () => {
    const [, v1] = sign(body, nowSeconds - 1000).split(',');
    expect(reasonOf(() => verifyWebhook(body, `t=${nowSeconds},${v1}`, SECRET, { now }))).toBe('bad_signature');
  });

  it('rejects an old timestamp, and one far in the future, outside the tolerance', () => {
    expect(reasonOf(() => verifyWebhook(body, sign(body, nowSeconds - 301), SECRET, { now }))).toBe('timestamp_out_of_tolerance');
    expect(reasonOf(() => verifyWebhook(body, sign(body, nowSeconds + 301), SECRET, { now }))).toBe('timestamp_out_of_tolerance');
    expect(verifyWebhook(body, sign(body, nowSeconds - 3000), SECRET, { now, toleranceSeconds: 3600 }).id).toBe('evt_1');
  });

  it('rejects a missing or malformed header', () => {
    expect(reasonOf(() => verifyWebhook(body, undefined, SECRET, { now }))).toBe('missing_header');
    expect(reasonOf(() => verifyWebhook(body, 'v1=abc', SECRET, { now }))).toBe('malformed_header');
    expect(reasonOf(() => verifyWebhook(body, `t=${nowSeconds}`, SECRET, { now }))).toBe('malformed_header');
  });

  it('rejects a correctly signed body that is not an event', () => {
    const other = JSON.stringify({ hello: 'world' });
    expect(reasonOf(() => verifyWebhook(other, sign(other, nowSeconds), SECRET, { now }))).toBe('invalid_payload');
  });
});

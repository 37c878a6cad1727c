import { errorFromResponse } from '../../../src/client/error-from-response';
import {
  AuthError,
  ConflictError,
  IdempotencyConflictError,
  NotFoundError,
  QuotaExceededError,
  RenderServiceError,
  UnavailableError,
  ValidationError,
} from '../../../src/client/errors';

const answer = (status: number, code: string, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify({ error: { code, message: `${code} happened`, details: { line: 3 } } }), { status, headers });

describe('errorFromResponse', () => {
  it.each<[number, string, new (...args: never[]) => RenderServiceError]>([
    [400, 'syntax_error', ValidationError],
    [401, 'unauthenticated', AuthError],
    [403, 'forbidden', AuthError],
    [404, 'not_found', NotFoundError],
    [409, 'conflict', ConflictError],
    [422, 'idempotency_conflict', IdempotencyConflictError],
    [500, 'internal', RenderServiceError],
  ])('maps %i %s to its class with the server code, message and details', async (status, code, type) => {
    const error = await errorFromResponse(answer(status, code));
    expect(error).toBeInstanceOf(type);
    expect(error).toMatchObject({ status, code, message: `${code} happened`, details: { line: 3 } });
  });

  it('gives 429 and 503 their Retry-After in seconds', async () => {
    const quota = await errorFromResponse(answer(429, 'quota_exceeded', { 'retry-after': '7' }));
    expect(quota).toBeInstanceOf(QuotaExceededError);
    expect((quota as QuotaExceededError).retryAfterSeconds).toBe(7);
    const unavailable = await errorFromResponse(answer(503, 'unavailable'));
    expect(unavailable).toBeInstanceOf(UnavailableError);
    expect((unavailable as UnavailableError).retryAfterSeconds).toBeUndefined();
  });

  it('still types an answer that is not the service\'s error shape (a proxy\'s HTML page)', async () => {
    const error = await errorFromResponse(new Response('<html>Bad gateway</html>', { status: 502, statusText: 'Bad Gateway' }));
    expect(error).toMatchObject({ status: 502, code: 'http_502' });
    expect(error.message).toContain('Bad gateway');
  });
});

import { ValidationError } from '../../../src/domain/errors';
import { decodePageToken, encodePageToken } from '../../../src/domain/page-token';

describe('page tokens', () => {
  it('round-trips a cursor', () => {
    const cursor = { createdAt: '2030-01-01T00:00:00.000Z', id: 'lz3k9q2x10000a8f3kq0z7m1p' };
    expect(decodePageToken(encodePageToken(cursor))).toEqual(cursor);
  });

  it('is URL-safe', () => {
    expect(encodePageToken({ createdAt: '2030-01-01T00:00:00.000Z', id: '???>>>' })).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it.each([
    ['garbage', 'not-a-token!!'],
    ['empty', ''],
    ['JSON of the wrong shape', Buffer.from(JSON.stringify({ c: 1, i: 'x' })).toString('base64url')],
    ['an over-long id', Buffer.from(JSON.stringify({ c: 'x', i: 'y'.repeat(65) })).toString('base64url')],
  ])('refuses %s with a ValidationError', (_what, token) => {
    let thrown: unknown;
    try {
      decodePageToken(token);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ValidationError);
    expect((thrown as ValidationError).code).toBe('invalid_page_token');
  });
});

import { backoffDelayMs, parseRetryAfterMs } from '../../../src/client/retry-delay';

describe('backoffDelayMs', () => {
  it('draws from zero up to a ceiling that doubles each attempt', () => {
    const at = (attempt: number, random: number) => backoffDelayMs({ attempt, baseDelayMs: 100, maxDelayMs: 10_000, random: () => random });
    expect([at(1, 1), at(2, 1), at(3, 1), at(4, 1)]).toEqual([100, 200, 400, 800]);
    expect(at(3, 0)).toBe(0);
    expect(at(3, 0.5)).toBe(200);
  });

  it('never exceeds the maximum delay', () => {
    expect(backoffDelayMs({ attempt: 30, baseDelayMs: 100, maxDelayMs: 5_000, random: () => 1 })).toBe(5_000);
  });
});

describe('parseRetryAfterMs', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');

  it('reads delay seconds', () => {
    expect(parseRetryAfterMs('3', now)).toBe(3_000);
    expect(parseRetryAfterMs(' 0 ', now)).toBe(0);
  });

  it('reads an HTTP date, never negative', () => {
    expect(parseRetryAfterMs('Wed, 01 Jan 2025 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfterMs('Tue, 31 Dec 2024 23:59:00 GMT', now)).toBe(0);
  });

  it('ignores a missing or unreadable header', () => {
    expect(parseRetryAfterMs(null, now)).toBeUndefined();
    expect(parseRetryAfterMs('soon', now)).toBeUndefined();
    expect(parseRetryAfterMs('-5', now)).toBeUndefined();
  });
});

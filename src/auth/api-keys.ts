import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

import type { ApiKeyRecord } from '../domain/ports/api-key-store';

const PREFIX = 'mrk';

/** A new key: `mrk_<keyId>_<secret>`. The full key is shown once; only the record is stored. */
export function mintApiKey(params: { principal: string; now: Date }): { key: string; record: ApiKeyRecord } {
  const keyId = randomBytes(8).toString('hex');
  const secret = randomBytes(24).toString('base64url');
  return {
    key: `${PREFIX}_${keyId}_${secret}`,
    record: { keyId, principal: params.principal, secretHash: hashSecret(secret), createdAt: params.now.toISOString() },
  };
}

/** The record of a key made elsewhere (given to the service at start): the same shape as a minted one's. */
export function recordOfApiKey(params: { key: string; principal: string; now: Date }): ApiKeyRecord {
  const parsed = parseApiKey(params.key);
  if (!parsed) throw new Error('not an API key');
  return { keyId: parsed.keyId, principal: params.principal, secretHash: hashSecret(parsed.secret), createdAt: params.now.toISOString() };
}

/** Splits a presented key into its id and secret, or null if it is not one of ours. */
export function parseApiKey(key: string): { keyId: string; secret: string } | null {
  const match = /^mrk_([0-9a-f]{16})_([A-Za-z0-9_-]{32})$/.exec(key.trim());
  return match ? { keyId: match[1]!, secret: match[2]! } : null;
}

export function secretMatches(record: ApiKeyRecord, secret: string): boolean {
  const expected = Buffer.from(record.secretHash, 'hex');
  const actual = Buffer.from(hashSecret(secret), 'hex');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

function hashSecret(secret: string): string {
  // The secret is 192 random bits: a fast hash is enough (nothing to brute-force), unlike a password.
  return createHash('sha256').update(secret).digest('hex');
}

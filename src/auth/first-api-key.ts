import type { ApiKeyStore } from '../domain/ports/api-key-store';
import { mintApiKey, parseApiKey, recordOfApiKey } from './api-keys';

/** The principal of the key a self-hosted service starts with. */
export const FIRST_KEY_PRINCIPAL = 'admin';

export type FirstApiKey =
  | { kind: 'given'; keyId: string }
  | { kind: 'minted'; keyId: string; key: string }
  | { kind: 'existing'; count: number };

/**
 * A service that accepts only API keys must start with one, or nobody could call it. A key given at start
 * (INITIAL_API_KEY) is stored if it is new; otherwise, when the store has no key at all, one is minted and
 * handed back so that the operator sees it once. Keys already there are left as they are.
 */
export async function ensureFirstApiKey(params: { apiKeys: ApiKeyStore; given?: string; now: Date }): Promise<FirstApiKey> {
  const { apiKeys, given, now } = params;
  if (given) {
    const parsed = parseApiKey(given);
    if (!parsed) throw new Error('INITIAL_API_KEY is not an API key (mrk_<16 hex>_<32 characters>)');
    if (!(await apiKeys.getKey({ keyId: parsed.keyId }))) {
      await apiKeys.putKey({ record: recordOfApiKey({ key: given, principal: FIRST_KEY_PRINCIPAL, now }) });
    }
    return { kind: 'given', keyId: parsed.keyId };
  }
  const existing = await apiKeys.listKeys();
  const live = existing.filter((record) => !record.revokedAt);
  if (live.length > 0) return { kind: 'existing', count: live.length };
  const { key, record } = mintApiKey({ principal: FIRST_KEY_PRINCIPAL, now });
  await apiKeys.putKey({ record });
  return { kind: 'minted', keyId: record.keyId, key };
}

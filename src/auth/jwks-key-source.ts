import { createPublicKey, type JsonWebKey } from 'node:crypto';

/** PEM public keys by key id, as google-auth-library's verifier takes them. */
export type PemKeys = Record<string, string>;

const DEFAULT_TTL_MS = 60 * 60 * 1000;
// A token naming an unknown key may mean the issuer rotated: refetch, but not more often than this.
const MIN_REFRESH_MS = 30 * 1000;

/**
 * Fetches an issuer's JSON Web Key Set and keeps it for its Cache-Control max-age (or an hour).
 * Works for Google's `https://www.googleapis.com/oauth2/v3/certs` and for any emulator or test issuer.
 */
export class JwksKeySource {
  private keys: PemKeys = {};
  private fetchedAt = 0;
  private ttlMs = DEFAULT_TTL_MS;
  private inFlight: Promise<PemKeys> | undefined;

  constructor(private readonly jwksUrl: string) {}

  async keysFor(kid: string | undefined): Promise<PemKeys> {
    const age = Date.now() - this.fetchedAt;
    const stale = age > this.ttlMs;
    const unknownKid = kid !== undefined && !(kid in this.keys) && age > MIN_REFRESH_MS;
    if (stale || unknownKid) await this.refresh();
    return this.keys;
  }

  private refresh(): Promise<PemKeys> {
    this.inFlight ??= this.fetchKeys().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async fetchKeys(): Promise<PemKeys> {
    const res = await fetch(this.jwksUrl, { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new Error(`fetching ${this.jwksUrl}: HTTP ${res.status}`);
    const body = (await res.json()) as { keys?: Array<JsonWebKey & { kid?: string }> };
    const keys: PemKeys = {};
    for (const jwk of body.keys ?? []) {
      if (!jwk.kid || jwk.kty !== 'RSA') continue;
      const { alg: _alg, ...material } = jwk; // some issuers spell alg oddly; the verifier checks RS256 itself
      keys[jwk.kid] = createPublicKey({ key: material, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
    }
    const maxAge = /max-age=(\d+)/.exec(res.headers.get('cache-control') ?? '')?.[1];
    this.ttlMs = maxAge ? Number(maxAge) * 1000 : DEFAULT_TTL_MS;
    this.keys = keys;
    this.fetchedAt = Date.now();
    return keys;
  }
}

import { createSign, generateKeyPairSync, type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local OIDC issuer for tests: an RSA key pair, its JWKS served over loopback HTTP, and real RS256 ID tokens
 * minted with any claims. The service under test is configured to trust it exactly as it trusts Google.
 */
export interface TestIssuer {
  issuer: string;
  jwksUrl: string;
  mint(claims: Record<string, unknown>, options?: { kid?: string; expiresInSeconds?: number; key?: KeyObject }): string;
  close(): Promise<void>;
}

export async function startTestIssuer(): Promise<TestIssuer> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = 'test-key-1';
  const server = http.createServer((req, res) => {
    if (req.url === '/jwks') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' }] }));
      return;
    }
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    jwksUrl: `${issuer}/jwks`,
    mint(claims, options = {}) {
      const now = Math.floor(Date.now() / 1000);
      const header = { alg: 'RS256', typ: 'JWT', kid: options.kid ?? kid };
      const payload = { iss: issuer, iat: now, exp: now + (options.expiresInSeconds ?? 3600), ...claims };
      const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString('base64url');
      const unsigned = `${encode(header)}.${encode(payload)}`;
      const signature = createSign('RSA-SHA256').update(unsigned).sign(options.key ?? privateKey).toString('base64url');
      return `${unsigned}.${signature}`;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Settings that make the service verify ID tokens itself and trust only `issuer` (AUTH_MODE=verify). */
export function trustingIssuer(issuer: TestIssuer, params: { audience: string; allowlist: string }): Record<string, string> {
  return {
    AUTH_MODE: 'verify',
    AUTH_AUDIENCE: params.audience,
    AUTH_ALLOWLIST: params.allowlist,
    OIDC_ISSUER: issuer.issuer,
    OIDC_JWKS_URL: issuer.jwksUrl,
  };
}

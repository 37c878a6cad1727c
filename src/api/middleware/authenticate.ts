import type { Request, RequestHandler } from 'express';
import { parseApiKey, secretMatches } from '../../auth/api-keys';
import { AuthenticationError, type IdTokenVerifier } from '../../auth/id-token-verifier';
import { claimsOfVerifiedUpstream } from '../../auth/unverified-id-token';
import { ForbiddenError, UnauthenticatedError } from '../../domain/errors';
import type { ApiKeyStore } from '../../domain/ports/api-key-store';

/**
 * How the ingress knows its callers:
 * - `none`: everyone is the one local principal (local mode on loopback only; config enforces it);
 * - `iam`: behind Cloud Run's invoker check, which verified the Google ID token; we read its email;
 * - `verify`: we verify the Google ID token ourselves;
 * - `keys`: API keys only (a self-hosted service reachable on a network).
 * API keys, when a key store is given, are accepted in every mode.
 */
export type IngressAuth =
  | { mode: 'none' }
  | { mode: 'keys' }
  | { mode: 'iam'; isAllowed: (email: string) => boolean }
  | { mode: 'verify'; verifier: IdTokenVerifier };

function bearerOf(req: Request): string | undefined {
  // A client may send its token in X-Serverless-Authorization to keep Authorization for itself.
  return req.get('x-serverless-authorization') ?? req.get('authorization');
}

function presentedApiKey(req: Request): string | undefined {
  const header = req.get('x-api-key');
  if (header) return header;
  const bearer = /^Bearer\s+(mrk_\S+)$/i.exec(req.get('authorization') ?? '')?.[1];
  return bearer;
}

async function principalOfRequest(req: Request, auth: IngressAuth, apiKeys: ApiKeyStore | undefined): Promise<string> {
  const key = presentedApiKey(req);
  if (key && apiKeys) {
    const parsed = parseApiKey(key);
    const record = parsed && (await apiKeys.getKey({ keyId: parsed.keyId }));
    if (!parsed || !record || record.revokedAt || !secretMatches(record, parsed.secret)) {
      throw new UnauthenticatedError('the API key is not valid');
    }
    return `key:${record.principal}`;
  }
  switch (auth.mode) {
    case 'none':
      return 'local';
    case 'keys':
      throw new UnauthenticatedError('an API key is required (X-Api-Key or Authorization: Bearer mrk_...)');
    case 'iam': {
      const claims = claimsOfVerifiedUpstream(bearerOf(req));
      if (!claims?.email) throw new UnauthenticatedError('a Google ID token is required');
      if (claims.email_verified === false) throw new UnauthenticatedError('the ID token carries no verified email');
      if (!auth.isAllowed(claims.email)) throw new ForbiddenError(`${claims.email} may not call this service`);
      return `user:${claims.email.toLowerCase()}`;
    }
    case 'verify': {
      try {
        const identity = await auth.verifier.verify(bearerOf(req));
        return `user:${identity.email}`;
      } catch (error) {
        if (error instanceof AuthenticationError) {
          throw error.status === 401 ? new UnauthenticatedError(error.message) : new ForbiddenError(error.message);
        }
        throw error;
      }
    }
  }
}

/** Sets `res.locals.principal` for every request, or answers 401/403. */
export function authenticate(params: { auth: IngressAuth; apiKeys?: ApiKeyStore }): RequestHandler {
  return (req, res, next) => {
    principalOfRequest(req, params.auth, params.apiKeys)
      .then((principal) => {
        res.locals.principal = principal;
        next();
      })
      .catch(next);
  };
}

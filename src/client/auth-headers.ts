import type { RenderClientAuth } from './client-options';
import { AuthError } from './errors';
import { googleIdTokenSource } from './google-id-token';

/** The headers that authenticate one request, computed per attempt so refreshed tokens are picked up. */
export type AuthHeaders = () => Promise<Record<string, string>>;

export function authHeaders(auth: RenderClientAuth, baseUrl: string): AuthHeaders {
  switch (auth.type) {
    case 'none':
      return async () => ({});
    case 'apiKey':
      return async () => ({ 'X-Api-Key': auth.key });
    case 'idToken':
      return bearer(auth.getToken);
    case 'google':
      return bearer(googleIdTokenSource(auth.audience ?? baseUrl.replace(/\/+$/, '')));
  }
}

function bearer(getToken: () => Promise<string>): AuthHeaders {
  return async () => {
    try {
      return { Authorization: `Bearer ${await getToken()}` };
    } catch (error) {
      throw new AuthError(`could not get an ID token: ${(error as Error).message}`, 0, 'token_unavailable', undefined, { cause: error });
    }
  };
}

import type { GoogleAuth, IdTokenClient } from 'google-auth-library';

let auth: GoogleAuth | undefined;
const clients = new Map<string, Promise<IdTokenClient>>();

/**
 * A source of Google ID tokens for `audience` from the application default credentials. One GoogleAuth and one
 * IdTokenClient per audience for the whole process: the library caches each token and fetches a new one shortly
 * before it expires, so calling this per request costs nothing most of the time.
 */
export function googleIdTokenSource(audience: string): () => Promise<string> {
  return async () => {
    let client = clients.get(audience);
    if (!client) {
      // Loaded on first use: callers with an API key or their own token source never pay for the library.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const library = require('google-auth-library') as typeof import('google-auth-library');
      auth ??= new library.GoogleAuth();
      client = auth.getIdTokenClient(audience);
      clients.set(audience, client);
      client.catch(() => clients.delete(audience));
    }
    const headers = await (await client).getRequestHeaders();
    const token = /^Bearer\s+(\S+)$/i.exec(headers.get('authorization') ?? '')?.[1];
    if (!token) throw new Error(`google-auth-library returned no ID token for ${audience}`);
    return token;
  };
}

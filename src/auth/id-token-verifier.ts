import { OAuth2Client } from 'google-auth-library';
import { JwksKeySource } from './jwks-key-source';

/** Who a verified token says the caller is. */
export interface VerifiedIdentity {
  email: string;
  subject: string;
}

export class AuthenticationError extends Error {
  constructor(
    message: string,
    /** 401: no usable credentials; 403: valid credentials of a caller that is not allowed. */
    readonly status: 401 | 403,
  ) {
    super(message);
  }
}

export interface IdTokenVerifierOptions {
  /** Accepted `iss` values. Google's tokens use both spellings. */
  issuers: string[];
  jwksUrl: string;
  audience: string;
  /** Whether the caller is allowed, once the token is valid. */
  isAllowed(identity: VerifiedIdentity): boolean;
}

export const GOOGLE_ISSUERS = ['https://accounts.google.com', 'accounts.google.com'];

/**
 * Verifies a Google-style OIDC ID token (RS256): signature against the issuer's keys, issuer, audience, expiry,
 * a verified email, then the caller allow-list. google-auth-library does the JWT checks; the keys come from the
 * configured JWKS so an emulator's or a test issuer's tokens can be checked the same way.
 */
export class IdTokenVerifier {
  private readonly client = new OAuth2Client();
  private readonly keys: JwksKeySource;

  constructor(private readonly options: IdTokenVerifierOptions) {
    this.keys = new JwksKeySource(options.jwksUrl);
  }

  /** Verifies the `Authorization` header's bearer token. */
  async verify(authorization: string | undefined): Promise<VerifiedIdentity> {
    const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
    if (!token) throw new AuthenticationError('a bearer ID token is required', 401);
    let payload;
    try {
      const keys = await this.keys.keysFor(keyIdOf(token));
      const ticket = await this.client.verifySignedJwtWithCertsAsync(token, keys, this.options.audience, this.options.issuers);
      payload = ticket.getPayload();
    } catch (error) {
      throw new AuthenticationError(`the ID token is not valid: ${(error as Error).message.split('\n')[0]}`, 401);
    }
    if (!payload?.email || payload.email_verified !== true) {
      throw new AuthenticationError('the ID token carries no verified email', 401);
    }
    const identity = { email: payload.email.toLowerCase(), subject: payload.sub };
    if (!this.options.isAllowed(identity)) throw new AuthenticationError(`${identity.email} may not call this service`, 403);
    return identity;
  }
}

function keyIdOf(token: string): string | undefined {
  try {
    const header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as { kid?: unknown };
    return typeof header.kid === 'string' ? header.kid : undefined;
  } catch {
    return undefined;
  }
}

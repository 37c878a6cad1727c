/**
 * Reads the claims of an ID token without checking its signature. Only for `iam` mode, where Cloud Run's invoker
 * check has already verified the token before the request reached us (and strips the signature).
 */
export function claimsOfVerifiedUpstream(authorization: string | undefined): { email?: string; email_verified?: boolean } | null {
  const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  const payload = token?.split('.')[1];
  if (!payload) return null;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown;
    return claims && typeof claims === 'object' ? (claims as { email?: string; email_verified?: boolean }) : null;
  } catch {
    return null;
  }
}

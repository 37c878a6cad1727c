import { execFile } from 'node:child_process';

const REFRESH_BEFORE_EXPIRY_MS = 5 * 60_000;

function printIdentityToken(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('gcloud', ['auth', 'print-identity-token', ...args], { env, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) {
        const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'gcloud is not installed or not on PATH' : stderr.trim() || error.message;
        reject(new Error(why));
        return;
      }
      resolve(stdout.trim());
    });
  });
}

function expiryOf(token: string): number {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: number };
    return typeof payload.exp === 'number' ? payload.exp * 1000 : Date.now();
  } catch {
    return Date.now();
  }
}

/**
 * ID tokens from `gcloud auth print-identity-token --audiences=<audience>`, reused until shortly before they
 * expire. A user account (not a service account) cannot choose an audience: then the plain command's token is
 * used, which Cloud Run's own IAM check accepts (the service in `iam` mode).
 */
export function gcloudIdTokenSource(params: { audience: string; env: NodeJS.ProcessEnv }): () => Promise<string> {
  let cached: { token: string; expiresAt: number } | undefined;
  return async () => {
    if (cached && cached.expiresAt - REFRESH_BEFORE_EXPIRY_MS > Date.now()) return cached.token;
    let token: string;
    try {
      token = await printIdentityToken([`--audiences=${params.audience}`], params.env);
    } catch (error) {
      if (!/audiences/i.test((error as Error).message)) throw error;
      token = await printIdentityToken([], params.env);
    }
    if (!token) throw new Error('gcloud printed no token; run `gcloud auth login`');
    cached = { token, expiresAt: expiryOf(token) };
    return token;
  };
}

import type { RequestHandler } from 'express';
import { AuthenticationError, type IdTokenVerifier } from './id-token-verifier';

/** Lets a request through only with Cloud Tasks' OIDC token of the invoker service account, for this audience. */
export function requireTaskInvoker(verifier: IdTokenVerifier): RequestHandler {
  return (req, res, next) => {
    verifier
      .verify(req.headers.authorization)
      .then(() => next())
      .catch((error: unknown) => {
        if (!(error instanceof AuthenticationError)) return next(error);
        res.status(error.status).json({ error: { code: error.status === 401 ? 'unauthenticated' : 'forbidden', message: error.message } });
      });
  };
}

import type { RequestHandler, Response } from 'express';

/** The caller every job, file and log belongs to. Set once per request by the authentication middleware. */
export function principalOf(res: Response): string {
  const principal = res.locals.principal as string | undefined;
  if (!principal) throw new Error('no principal: the authentication middleware did not run');
  return principal;
}

/** Local mode without authentication: every caller is the one local principal. */
export function localPrincipal(): RequestHandler {
  return (_req, res, next) => {
    res.locals.principal = 'local';
    next();
  };
}

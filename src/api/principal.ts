import type { Response } from 'express';

/** The caller every job, file and log belongs to. Set once per request by the authentication middleware. */
export function principalOf(res: Response): string {
  const principal = res.locals.principal as string | undefined;
  if (!principal) throw new Error('no principal: the authentication middleware did not run');
  return principal;
}

import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { z } from 'zod';

export interface RouteSchemas<B extends z.ZodType, P extends z.ZodType, Q extends z.ZodType> {
  body?: B;
  params?: P;
  query?: Q;
}

export interface RouteInput<B, P, Q> {
  body: B;
  params: P;
  query: Q;
  req: Request;
  res: Response;
}

/** A JSON answer, or nothing when the handler wrote the response itself (a stream). */
export type RouteReply = { status: number; json: unknown; headers?: Record<string, string> } | void;

/**
 * Wraps a handler so it only ever sees validated input: body, params and query are parsed by their zod schemas
 * (a failure becomes a 400 through the error middleware) and errors thrown or rejected reach that middleware.
 */
export function route<B extends z.ZodType = z.ZodUnknown, P extends z.ZodType = z.ZodUnknown, Q extends z.ZodType = z.ZodUnknown>(
  schemas: RouteSchemas<B, P, Q>,
  handler: (input: RouteInput<z.infer<B>, z.infer<P>, z.infer<Q>>) => Promise<RouteReply>,
): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const run = async () => {
      const body = schemas.body ? schemas.body.parse(req.body ?? {}) : req.body;
      const params = schemas.params ? schemas.params.parse(req.params) : req.params;
      const query = schemas.query ? schemas.query.parse(req.query) : req.query;
      const reply = await handler({ body, params, query, req, res } as RouteInput<z.infer<B>, z.infer<P>, z.infer<Q>>);
      if (!reply) return;
      if (reply.headers) res.set(reply.headers);
      res.status(reply.status).json(reply.json);
    };
    run().catch(next);
  };
}

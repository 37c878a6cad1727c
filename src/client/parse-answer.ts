import type { z } from 'zod';
import { RenderServiceError } from './errors';

/** Reads a JSON answer and checks it against the contract it should meet. */
export const json =
  <T>(schema: z.ZodType<T>) =>
  async (res: Response): Promise<T> => {
    // A connection lost while reading rejects here and is retried; a body that arrived but is wrong is not.
    const text = await res.text();
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new RenderServiceError(`the service answered ${res.status} with a body that is not JSON`, res.status, 'invalid_response');
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw new RenderServiceError(`unexpected answer from the service: ${parsed.error.message}`, res.status, 'invalid_response');
    return parsed.data;
  };

export type ParseAnswer = typeof json;

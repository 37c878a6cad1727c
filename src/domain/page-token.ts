import { z } from 'zod';
import { ValidationError } from './errors';

const cursorSchema = z.object({ c: z.string().max(64), i: z.string().max(64) });

/** Where a listing stopped: the sort key (createdAt, id) of the last job returned. */
export interface PageCursor {
  createdAt: string;
  id: string;
}

export function encodePageToken(cursor: PageCursor): string {
  return Buffer.from(JSON.stringify({ c: cursor.createdAt, i: cursor.id })).toString('base64url');
}

export function decodePageToken(token: string): PageCursor {
  try {
    const parsed = cursorSchema.parse(JSON.parse(Buffer.from(token, 'base64url').toString('utf8')));
    return { createdAt: parsed.c, id: parsed.i };
  } catch {
    throw new ValidationError('invalid_page_token', 'pageToken is not one this service issued');
  }
}

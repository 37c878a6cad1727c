import type { Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { NotFoundError } from '../domain/errors';
import type { BlobStore } from '../domain/ports/blob-store';
import { parseByteRange } from './byte-range';

/** Streams a blob, honouring a single-range `Range` header so a `<video>` element can seek. */
export async function sendBlob(store: BlobStore, key: string, rangeHeader: string | undefined, res: Response, cacheControl = 'private, max-age=3600'): Promise<void> {
  const info = await store.stat({ key });
  if (!info) throw new NotFoundError('the file is gone');
  res.set({ 'Accept-Ranges': 'bytes', 'Content-Type': info.contentType, 'Cache-Control': cacheControl });
  const range = parseByteRange(rangeHeader, info.bytes);
  if (range === 'unsatisfiable') {
    res.status(416).set('Content-Range', `bytes */${info.bytes}`).end();
    return;
  }
  if (range) {
    res.status(206).set({ 'Content-Range': `bytes ${range.start}-${range.end}/${info.bytes}`, 'Content-Length': String(range.end - range.start + 1) });
  } else {
    res.status(200).set('Content-Length', String(info.bytes));
  }
  const stream = await store.read({ key, ...(range ?? {}) });
  await pipeline(stream, res);
}

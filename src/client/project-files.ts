import { createHash } from 'node:crypto';
import { storedFileViewSchema, uploadTicketSchema, type StoredFileView } from '../contracts/project-files';
import { NotFoundError, ValidationError } from './errors';
import type { Transport } from './http-transport';
import type { ParseAnswer } from './parse-answer';

/**
 * A file of a project as the SDK takes it: its bytes (sent inline, or uploaded first when large), base64 text as
 * the API takes it, or the hash of a file uploaded before (`uploadAsset`).
 */
export type ProjectFile = { path: string; content: Uint8Array | string } | { path: string; sha256: string };

/** Files larger than this are uploaded once (`POST /v1/files`) and named by hash rather than sent inline. */
export const INLINE_FILE_BYTES = 1024 * 1024;
/** A stored file with less life left than this is uploaded again, which renews it. */
const RENEW_WITHIN_MS = 2 * 24 * 3600 * 1000;
/** The largest body `POST /v1/files` takes on Cloud Run; larger files go through a signed upload URL. */
const DIRECT_UPLOAD_BYTES = 32 * 1024 * 1024;

export interface UploadOptions {
  signal?: AbortSignal;
}

/**
 * Stores a file for later renders and resolves with its hash and expiry. A file the service already has is not
 * sent again (asking is cheaper than sending) unless it expires within two days (sending it renews it); a large one goes straight to Cloud Storage where the service offers
 * it, and is checked against its hash by the service.
 */
export async function uploadAsset(transport: Transport, json: ParseAnswer, bytes: Uint8Array, options: UploadOptions = {}): Promise<StoredFileView> {
  const { signal } = options;
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const existing = await findFile(transport, json, sha256, signal);
  if (existing && Date.parse(existing.expiresAt) - Date.now() > RENEW_WITHIN_MS) return existing;
  if (bytes.length <= DIRECT_UPLOAD_BYTES) {
    return transport.send({ method: 'POST', path: '/v1/files', bytes, signal }, json(storedFileViewSchema));
  }
  const ticket = await transport.send({ method: 'POST', path: '/v1/files/uploads', body: { sha256, size: bytes.length }, signal }, json(uploadTicketSchema));
  if (ticket.uploadUrl === null) return ticket;
  await transport.send({ method: 'PUT', path: ticket.uploadUrl, bytes, headers: ticket.headers, authenticate: false, timeoutMs: false, signal }, async (res) => void (await res.body?.cancel()));
  const stored = await findFile(transport, json, sha256, signal);
  if (!stored) throw new ValidationError(`the upload of ${sha256} was not stored`, 400, 'upload_lost');
  return stored;
}

async function findFile(transport: Transport, json: ParseAnswer, sha256: string, signal: AbortSignal | undefined): Promise<StoredFileView | null> {
  try {
    return await transport.send({ method: 'GET', path: `/v1/files/${sha256}`, signal }, json(storedFileViewSchema));
  } catch (error) {
    if (error instanceof NotFoundError) return null;
    throw error;
  }
}

/** The files of a submit as the API takes them: small bytes inline (base64), large ones uploaded and named by hash. */
export async function wireFiles(
  transport: Transport,
  json: ParseAnswer,
  files: readonly ProjectFile[],
  signal: AbortSignal | undefined,
): Promise<Array<{ path: string; content: string } | { path: string; sha256: string }>> {
  const wired = [];
  for (const file of files) {
    if ('sha256' in file) wired.push({ path: file.path, sha256: file.sha256 });
    else if (typeof file.content === 'string') wired.push({ path: file.path, content: file.content });
    else if (file.content.length <= INLINE_FILE_BYTES) wired.push({ path: file.path, content: Buffer.from(file.content).toString('base64') });
    else wired.push({ path: file.path, sha256: (await uploadAsset(transport, json, file.content, { signal })).sha256 });
  }
  return wired;
}

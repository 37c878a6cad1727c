import { createHash } from 'node:crypto';
import type { StoredFileView } from '../../contracts/project-files';
import { ValidationError } from '../errors';
import type { BlobStore } from '../ports/blob-store';
import type { Clock } from '../ports/clock';
import { contentTypeOfKind, FILE_KINDS, kindOfContentType, sniffKind, type FileKind } from './file-kinds';
import { pendingUploadKey, projectFileKey } from './project-file-keys';
import type { ProjectFileLimits } from './project-file-limits';

export interface ProjectFileDeps {
  blobStore: BlobStore;
  clock: Clock;
  limits: ProjectFileLimits;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export function sha256Of(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Keeps a file of a principal's: its kind read from its bytes, stored under its hash. Storing the same bytes again
 * renews it (the file expires `retentionDays` after its last upload).
 */
export async function storeProjectFile(deps: ProjectFileDeps, params: { owner: string; bytes: Buffer }): Promise<StoredFileView> {
  const { bytes } = params;
  if (bytes.length === 0) throw new ValidationError('empty_file', 'the file is empty');
  if (bytes.length > deps.limits.maxFileBytes) {
    throw new ValidationError('file_too_large', `the file is ${bytes.length} bytes; the limit is ${deps.limits.maxFileBytes}`, {
      bytes: bytes.length,
      limit: deps.limits.maxFileBytes,
    });
  }
  const kind = sniffKind(bytes);
  if (!kind) {
    throw new ValidationError('unsupported_file_type', `the file is none of the kinds a project may carry (${FILE_KINDS.join(', ')})`, {
      kinds: FILE_KINDS,
    });
  }
  const sha256 = sha256Of(bytes);
  await deps.blobStore.putBytes({ key: projectFileKey(params.owner, sha256), bytes, contentType: contentTypeOfKind(kind) });
  return view({ sha256, size: bytes.length, kind, storedAt: deps.clock.now(), retentionDays: deps.limits.retentionDays });
}

/**
 * A principal's stored file, or null if it has none by that hash (another principal's files are none of its own)
 * or it expired. A file a signed upload put in place is read against its hash first, and kept only if it matches.
 */
export async function findProjectFile(deps: ProjectFileDeps, params: { owner: string; sha256: string }): Promise<StoredFileView | null> {
  const key = projectFileKey(params.owner, params.sha256);
  const info = await deps.blobStore.stat({ key });
  if (info) {
    const kind = kindOfContentType(info.contentType);
    const storedAt = info.updatedAt ? new Date(info.updatedAt) : deps.clock.now();
    const stored = kind && view({ sha256: params.sha256, size: info.bytes, kind, storedAt, retentionDays: deps.limits.retentionDays });
    if (stored && Date.parse(stored.expiresAt) > deps.clock.now().getTime()) return stored;
    return null;
  }
  return verifyPendingUpload(deps, params);
}

/** The bytes of a signed upload, checked: the right hash, a size within the limit, a kind a project may carry. */
async function verifyPendingUpload(deps: ProjectFileDeps, params: { owner: string; sha256: string }): Promise<StoredFileView | null> {
  const key = pendingUploadKey(params.owner, params.sha256);
  const info = await deps.blobStore.stat({ key });
  if (!info) return null;
  try {
    if (info.bytes > deps.limits.maxFileBytes) {
      throw new ValidationError('file_too_large', `the uploaded file ${params.sha256} is ${info.bytes} bytes; the limit is ${deps.limits.maxFileBytes}`, {
        sha256: params.sha256,
        bytes: info.bytes,
        limit: deps.limits.maxFileBytes,
      });
    }
    const chunks: Buffer[] = [];
    for await (const chunk of await deps.blobStore.read({ key })) chunks.push(Buffer.from(chunk as Buffer));
    const bytes = Buffer.concat(chunks);
    const actual = sha256Of(bytes);
    if (actual !== params.sha256) {
      throw new ValidationError('file_hash_mismatch', `the bytes uploaded for ${params.sha256} hash to ${actual}; upload them again`, {
        sha256: params.sha256,
        actual,
      });
    }
    return await storeProjectFile(deps, { owner: params.owner, bytes });
  } finally {
    // Checked or refused, the unchecked copy goes: a refused one must be uploaded again.
    await deps.blobStore.delete({ key });
  }
}

function view(params: { sha256: string; size: number; kind: FileKind; storedAt: Date; retentionDays: number }): StoredFileView {
  return {
    sha256: params.sha256,
    size: params.size,
    kind: params.kind,
    expiresAt: new Date(params.storedAt.getTime() + params.retentionDays * DAY_MS).toISOString(),
  };
}

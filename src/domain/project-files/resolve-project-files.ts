import type { JobFileView, ProjectFileInput } from '../../contracts/project-files';
import { ValidationError } from '../errors';
import { KINDS_BY_EXTENSION, type FileKind } from './file-kinds';
import { checkPathsDistinct, checkProjectPath, extensionOf } from './project-paths';
import { findProjectFile, storeProjectFile, type ProjectFileDeps } from './stored-project-file';

/** A file of a job as stored with it: where the scene sees it and which stored bytes it is. */
export type JobFile = JobFileView;

/**
 * Turns a render request's `files` into the job's: every path checked, inline files stored (so a job names files
 * only by hash, however they came), uploaded ones found among the principal's own, each file's kind checked
 * against its name, and the count and sizes within bounds. Throws a ValidationError naming the first problem.
 */
export async function resolveProjectFiles(deps: ProjectFileDeps, params: { owner: string; files: readonly ProjectFileInput[] }): Promise<JobFile[]> {
  const { limits } = deps;
  const { files } = params;
  if (files.length > limits.maxFiles) {
    throw new ValidationError('too_many_files', `the render names ${files.length} files; the limit is ${limits.maxFiles}`, { files: files.length, limit: limits.maxFiles });
  }
  const paths = files.map((file) => checkProjectPath(file.path));
  checkPathsDistinct(paths);
  for (const file of paths) {
    if (!KINDS_BY_EXTENSION[extensionOf(file)]) {
      throw new ValidationError('unsupported_file_type', `${file}: a project may carry ${Object.keys(KINDS_BY_EXTENSION).join(' ')} files`, {
        path: file,
        extensions: Object.keys(KINDS_BY_EXTENSION),
      });
    }
  }
  const inline = files.flatMap((file) => ('content' in file ? [Buffer.from(file.content, 'base64')] : []));
  const inlineBytes = inline.reduce((sum, bytes) => sum + bytes.length, 0);
  if (inlineBytes > limits.maxInlineBytes) {
    throw new ValidationError('inline_files_too_large', `the files sent inline hold ${inlineBytes} bytes; the limit is ${limits.maxInlineBytes} (upload larger ones with POST /v1/files and name them by sha256)`, {
      bytes: inlineBytes,
      limit: limits.maxInlineBytes,
    });
  }

  const resolved: JobFile[] = [];
  let total = 0;
  for (const [i, file] of files.entries()) {
    const path = paths[i]!;
    const stored =
      'content' in file
        ? await storeProjectFile(deps, { owner: params.owner, bytes: Buffer.from(file.content, 'base64') }).catch((error: unknown) => {
            throw error instanceof ValidationError ? new ValidationError(error.code, `${path}: ${error.message}`, { path, ...(error.details as object) }) : error;
          })
        : await findProjectFile(deps, { owner: params.owner, sha256: file.sha256 });
    if (!stored) {
      throw new ValidationError('unknown_file', `${path}: no file ${'sha256' in file ? file.sha256 : ''} of yours is stored (it expired, or was never uploaded: POST /v1/files)`, {
        path,
        sha256: 'sha256' in file ? file.sha256 : undefined,
      });
    }
    const allowed = KINDS_BY_EXTENSION[extensionOf(path)]!;
    if (!allowed.includes(stored.kind as FileKind)) {
      throw new ValidationError('file_type_mismatch', `${path}: its bytes are ${stored.kind}, not what a ${extensionOf(path)} file holds (${allowed.join(' or ')})`, {
        path,
        kind: stored.kind,
        expected: allowed,
      });
    }
    total += stored.size;
    if (total > limits.maxTotalBytes) {
      throw new ValidationError('files_too_large', `the render's files hold more than ${limits.maxTotalBytes} bytes together`, { limit: limits.maxTotalBytes });
    }
    resolved.push({ path, sha256: stored.sha256, size: stored.size });
  }
  return resolved;
}

import path from 'node:path';
import { ValidationError } from '../errors';

/**
 * The scene's own file in the working directory (the name its tracebacks and `__file__` carry): no project file
 * may take it.
 */
export const MAIN_FILE_NAME = 'scene.py';

/** What one segment of a project path may be: letters, digits, `_`, `-`, `.`, `+`, `@`, space; not `.` or `..`. */
const SEGMENT = /^[A-Za-z0-9_@+\-][A-Za-z0-9_@+.\- ]*$/;
const MAX_DEPTH = 8;

/**
 * Checks a project path is relative, plain and inside the working directory (no `..`, no absolute path, no
 * backslashes or drive letters, no hidden or empty segments), and returns it. Paths are never resolved against
 * the file system: they are names the renderer creates, inside a directory of its own, with O_EXCL.
 */
export function checkProjectPath(raw: string): string {
  const refuse = (why: string) => {
    throw new ValidationError('invalid_file_path', `file path ${JSON.stringify(raw)} ${why}`, { path: raw });
  };
  if (raw.startsWith('/')) refuse('is absolute; paths are relative to the scene\'s working directory');
  if (raw.includes('\\') || /^[A-Za-z]:/.test(raw)) refuse('must use / between directories');
  const segments = raw.split('/');
  if (segments.some((segment) => segment === '..')) refuse('leaves the working directory (..)');
  if (segments.some((segment) => segment === '' || segment === '.')) refuse('has an empty or `.` segment');
  if (segments.length > MAX_DEPTH) refuse(`is more than ${MAX_DEPTH} directories deep`);
  const bad = segments.find((segment) => !SEGMENT.test(segment) || segment.endsWith(' ') || segment.length > 100);
  if (bad !== undefined) refuse(`has a segment ${JSON.stringify(bad)} outside [A-Za-z0-9_@+.- ] (or hidden, or too long)`);
  if (raw === MAIN_FILE_NAME) refuse(`is the scene's own file; the code field is ${MAIN_FILE_NAME}`);
  if (segments[0] === 'media') refuse('is inside media/, where Manim writes the render');
  return raw;
}

/** Refuses two files at one path, and a file whose path is a directory of another's. */
export function checkPathsDistinct(paths: readonly string[]): void {
  const seen = new Set<string>();
  for (const file of paths) {
    if (seen.has(file)) throw new ValidationError('duplicate_file_path', `two files at ${JSON.stringify(file)}`, { path: file });
    seen.add(file);
  }
  for (const file of paths) {
    for (let dir = path.posix.dirname(file); dir !== '.'; dir = path.posix.dirname(dir)) {
      if (seen.has(dir)) {
        throw new ValidationError('duplicate_file_path', `${JSON.stringify(dir)} is a file and also the directory of ${JSON.stringify(file)}`, { path: file });
      }
    }
  }
}

/** The extension a path's kind is checked against (lowercase, with the dot), or '' for none. */
export function extensionOf(file: string): string {
  return path.posix.extname(file).toLowerCase();
}

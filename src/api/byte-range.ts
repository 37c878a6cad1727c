/** An inclusive byte range of a blob of known size. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Parses a `Range` header for a blob of `size` bytes (RFC 9110 §14). Returns null when there is no usable range
 * (no header, another unit, several ranges: the whole blob is served), or 'unsatisfiable' (answer 416).
 */
export function parseByteRange(header: string | undefined, size: number): ByteRange | null | 'unsatisfiable' {
  if (!header) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return null;
  const [, first, last] = match as unknown as [string, string, string];
  if (first === '' && last === '') return null;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

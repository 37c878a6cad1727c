import { parseByteRange } from '../../../src/api/byte-range';

describe('parseByteRange', () => {
  it('serves the whole blob without a header or with an empty one', () => {
    expect(parseByteRange(undefined, 100)).toBeNull();
    expect(parseByteRange('', 100)).toBeNull();
  });

  it('parses a closed range', () => {
    expect(parseByteRange('bytes=0-0', 100)).toEqual({ start: 0, end: 0 });
    expect(parseByteRange('bytes=10-19', 100)).toEqual({ start: 10, end: 19 });
  });

  it('tolerates whitespace around the header', () => {
    expect(parseByteRange('  bytes=10-19 ', 100)).toEqual({ start: 10, end: 19 });
  });

  it('runs an open range to the end', () => {
    expect(parseByteRange('bytes=90-', 100)).toEqual({ start: 90, end: 99 });
  });

  it('clamps an end past the blob to its last byte', () => {
    expect(parseByteRange('bytes=50-1000', 100)).toEqual({ start: 50, end: 99 });
  });

  it('serves a suffix range as the last bytes', () => {
    expect(parseByteRange('bytes=-10', 100)).toEqual({ start: 90, end: 99 });
  });

  it('serves a suffix longer than the blob as the whole blob', () => {
    expect(parseByteRange('bytes=-500', 100)).toEqual({ start: 0, end: 99 });
  });

  it('calls a start at or past the end unsatisfiable', () => {
    expect(parseByteRange('bytes=100-', 100)).toBe('unsatisfiable');
    expect(parseByteRange('bytes=150-200', 100)).toBe('unsatisfiable');
  });

  it('calls an end before the start unsatisfiable', () => {
    expect(parseByteRange('bytes=20-10', 100)).toBe('unsatisfiable');
  });

  it('calls a zero-length suffix, and any range of an empty blob, unsatisfiable', () => {
    expect(parseByteRange('bytes=-0', 100)).toBe('unsatisfiable');
    expect(parseByteRange('bytes=-5', 0)).toBe('unsatisfiable');
    expect(parseByteRange('bytes=0-', 0)).toBe('unsatisfiable');
  });

  it.each([
    ['another unit', 'items=0-5'],
    ['several ranges', 'bytes=0-5,10-15'],
    ['no numbers at all', 'bytes=-'],
    ['negative numbers', 'bytes=-5-10'],
    ['not numbers', 'bytes=a-b'],
    ['a missing unit', '0-5'],
  ])('ignores %s and serves the whole blob', (_what, header) => {
    expect(parseByteRange(header, 100)).toBeNull();
  });
});

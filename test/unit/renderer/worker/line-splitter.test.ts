import { LineSplitter } from '../../../../src/renderer/worker/line-splitter';

function splitter(maxBytes: number) {
  const lines: string[] = [];
  let overflows = 0;
  const s = new LineSplitter(
    maxBytes,
    (line) => lines.push(line),
    () => overflows++,
  );
  return { push: (text: string | Buffer) => s.push(Buffer.from(text)), lines, overflows: () => overflows };
}

describe('LineSplitter', () => {
  it('splits a chunk into its lines and keeps an unfinished one for later', () => {
    const s = splitter(100);
    s.push('one\ntwo\nthr');
    expect(s.lines).toEqual(['one', 'two']);
    s.push('ee\n');
    expect(s.lines).toEqual(['one', 'two', 'three']);
  });

  it('joins a line delivered across many chunks', () => {
    const s = splitter(100);
    for (const ch of '{"type":"ready"}\n') s.push(ch);
    expect(s.lines).toEqual(['{"type":"ready"}']);
  });

  it('passes empty lines through', () => {
    const s = splitter(100);
    s.push('\n\nx\n');
    expect(s.lines).toEqual(['', '', 'x']);
  });

  it('reassembles a multi-byte character split between chunks', () => {
    const s = splitter(100);
    const bytes = Buffer.from('héllo\n');
    s.push(bytes.subarray(0, 2));
    s.push(bytes.subarray(2));
    expect(s.lines).toEqual(['héllo']);
  });

  it('accepts a line of exactly the limit', () => {
    const s = splitter(10);
    s.push(`${'x'.repeat(10)}\n`);
    expect(s.lines).toEqual(['x'.repeat(10)]);
    expect(s.overflows()).toBe(0);
  });

  it('refuses an unfinished line that grows past the limit', () => {
    const s = splitter(10);
    s.push('x'.repeat(6));
    expect(s.overflows()).toBe(0);
    s.push('x'.repeat(6));
    expect(s.overflows()).toBe(1);
    expect(s.lines).toEqual([]);
  });

  it('refuses a finished line over the limit that arrives in one chunk', () => {
    const s = splitter(10);
    s.push(`ok\n${'x'.repeat(11)}\n`);
    expect(s.lines).toEqual(['ok']);
    expect(s.overflows()).toBe(1);
  });

  it('refuses a line over the limit whose end arrives in a later chunk', () => {
    const s = splitter(10);
    s.push('x'.repeat(8));
    s.push('xxxx\n');
    expect(s.lines).toEqual([]);
    expect(s.overflows()).toBe(1);
  });
});

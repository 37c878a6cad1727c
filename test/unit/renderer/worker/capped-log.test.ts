import { CappedLog } from '../../../../src/renderer/worker/capped-log';

describe('CappedLog', () => {
  it('keeps output under the cap whole, without a note', () => {
    const log = new CappedLog(100);
    log.append(Buffer.from('hello '));
    log.append(Buffer.from('world'));
    expect(log.toString()).toBe('hello world');
    expect(log.discardedBytes).toBe(0);
  });

  it('keeps exactly the cap without dropping anything', () => {
    const log = new CappedLog(10);
    log.append(Buffer.from('0123456789'));
    expect(log.toString()).toBe('0123456789');
    expect(log.discardedBytes).toBe(0);
  });

  it('keeps the first and last halves of longer output and notes what it dropped between', () => {
    const log = new CappedLog(10);
    log.append(Buffer.from('START'));
    for (let i = 0; i < 100; i++) log.append(Buffer.from('-middle-'));
    log.append(Buffer.from('FINAL'));
    expect(log.discardedBytes).toBe(5 + 800 + 5 - 10);
    const text = log.toString();
    expect(text.startsWith('START')).toBe(true);
    expect(text.endsWith('FINAL')).toBe(true);
    expect(text).toContain('[... 800 bytes of output discarded: log capped at 10 bytes ...]');
    expect(text).not.toContain('middle');
  });

  it('splits one chunk larger than the cap between head and tail', () => {
    const log = new CappedLog(8);
    log.append(Buffer.from('abcdefghijklmnopqrstuvwxyz'));
    expect(log.discardedBytes).toBe(18);
    expect(log.toString()).toBe('abcd\n[... 18 bytes of output discarded: log capped at 8 bytes ...]\nwxyz');
  });

  it('does not share memory with the buffers it was given', () => {
    const log = new CappedLog(100);
    const chunk = Buffer.from('original');
    log.append(chunk);
    chunk.write('mutated!');
    expect(log.toString()).toBe('original');
  });
});

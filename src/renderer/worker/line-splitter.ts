/**
 * Splits a byte stream into lines, refusing any line longer than `maxBytes` (an untrusted writer could
 * otherwise grow one line without bound).
 */
export class LineSplitter {
  private buffered: Buffer = Buffer.alloc(0);

  constructor(
    private readonly maxBytes: number,
    private readonly onLine: (line: string) => void,
    private readonly onOverflow: () => void,
  ) {}

  push(chunk: Buffer): void {
    let data = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    let newline = data.indexOf(0x0a);
    while (newline !== -1) {
      // A whole line can arrive in one chunk (or end in one): its length is checked here, not only while buffered.
      if (newline > this.maxBytes) {
        this.buffered = Buffer.alloc(0);
        this.onOverflow();
        return;
      }
      this.onLine(data.subarray(0, newline).toString('utf8'));
      data = data.subarray(newline + 1);
      newline = data.indexOf(0x0a);
    }
    if (data.length > this.maxBytes) {
      this.buffered = Buffer.alloc(0);
      this.onOverflow();
      return;
    }
    this.buffered = Buffer.from(data);
  }
}

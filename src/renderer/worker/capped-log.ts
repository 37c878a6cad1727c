/**
 * Keeps the first and last halves of `capBytes` of a stream of output and counts what was dropped between,
 * so a scene printing gigabytes costs bounded memory and the start and the final traceback both survive.
 */
export class CappedLog {
  private readonly head: Buffer[] = [];
  private headBytes = 0;
  private tail: Buffer = Buffer.alloc(0);
  private discarded = 0;

  constructor(private readonly capBytes: number) {}

  append(chunk: Buffer): void {
    const headCap = Math.floor(this.capBytes / 2);
    let rest = chunk;
    if (this.headBytes < headCap) {
      const taken = rest.subarray(0, headCap - this.headBytes);
      this.head.push(Buffer.from(taken));
      this.headBytes += taken.length;
      rest = rest.subarray(taken.length);
    }
    if (rest.length === 0) return;
    const tailCap = this.capBytes - headCap;
    const joined = Buffer.concat([this.tail, rest]);
    const overflow = Math.max(0, joined.length - tailCap);
    this.discarded += overflow;
    this.tail = Buffer.from(joined.subarray(overflow));
  }

  get discardedBytes(): number {
    return this.discarded;
  }

  toString(): string {
    const note = this.discarded > 0 ? `\n[... ${this.discarded} bytes of output discarded: log capped at ${this.capBytes} bytes ...]\n` : '';
    return Buffer.concat([...this.head]).toString('utf8') + note + this.tail.toString('utf8');
  }
}

/**
 * The host uids sandboxes run as when the service runs as root: one of its own for each sandbox alive at once, so
 * the kernel's per-user limits (processes, inotify instances and watches, message queues, pending signals) that one
 * scene can exhaust are its own, not those of a render beside it. A uid is given back when its sandbox has exited.
 */
export class SandboxUids {
  private readonly inUse = new Set<number>();

  constructor(private readonly params: { first: number; count: number }) {}

  /** The lowest uid of the range no live sandbox has. */
  take(): number {
    for (let uid = this.params.first; uid < this.params.first + this.params.count; uid++) {
      if (this.inUse.has(uid)) continue;
      this.inUse.add(uid);
      return uid;
    }
    throw new Error(`all ${this.params.count} sandbox uids from ${this.params.first} are in use (SANDBOX_UID_COUNT)`);
  }

  give(uid: number): void {
    this.inUse.delete(uid);
  }

  /** How many are taken (for tests and readiness). */
  get taken(): number {
    return this.inUse.size;
  }
}

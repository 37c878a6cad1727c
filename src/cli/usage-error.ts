/** The command line is wrong (unknown command or option, a missing or bad argument): exit status 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose usage to show, if known. */
    readonly command?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

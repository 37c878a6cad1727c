import { UnavailableError } from '../../domain/errors';
import type { Logger } from '../../logging/logger';
import { GrpcCode, grpcCodeOf } from './grpc-code';

/** Commits refused because a document changed since it was read, before giving up. */
const MAX_ATTEMPTS = 10;

/**
 * Runs a read-then-conditional-write `attempt` again when its commit lost a race: a `lastUpdateTime` precondition
 * failed (FAILED_PRECONDITION), Firestore aborted it (ABORTED), or a document it updates vanished (NOT_FOUND; the
 * next read sees that). Waits a little longer, with jitter, each time so racing writers spread out.
 */
export async function retryOnConflict<T>(what: string, logger: Logger | undefined, attempt: () => Promise<T>): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      const code = grpcCodeOf(error);
      const conflict = code === GrpcCode.FAILED_PRECONDITION || code === GrpcCode.ABORTED || code === GrpcCode.NOT_FOUND;
      if (!conflict) throw error;
      if (n >= MAX_ATTEMPTS) throw new UnavailableError(`${what}: still conflicting after ${n} attempts`);
      logger?.debug('firestore write conflict; retrying', { what, attempt: n, code });
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * n));
    }
  }
}

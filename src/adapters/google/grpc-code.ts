/** gRPC status codes the Google adapters act on (google.rpc.Code). */
export const GrpcCode = {
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
} as const;

/** The gRPC status code of an error thrown by a Google client library, if it has one. */
export function grpcCodeOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/**
 * A transaction the server dropped while it waited for a lock another one held (the Firestore emulator answers
 * INVALID_ARGUMENT, "transaction ... expired or is no longer valid", where Firestore aborts it): nothing of it was
 * written, so it can be run again.
 */
export function isExpiredTransaction(error: unknown): boolean {
  return grpcCodeOf(error) === GrpcCode.INVALID_ARGUMENT && /transaction/i.test(String((error as { message?: unknown } | null)?.message ?? ''));
}

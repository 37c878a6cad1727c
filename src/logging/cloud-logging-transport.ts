import { LoggingWinston } from '@google-cloud/logging-winston';
import { OAuth2Client } from 'google-auth-library';

/**
 * The winston transport for Cloud Run: one structured JSON object per line on stdout, which Cloud Run's logging
 * agent turns into a LogEntry. The library maps winston levels to `severity`, promotes the
 * `logging.googleapis.com/trace` / `spanId` / `trace_sampled` fields to the entry's trace, and nests every other
 * field under `jsonPayload.metadata` (what the log-based metrics in monitoring/log-metrics read).
 */
export function cloudLoggingTransport(params: { projectId: string; level: string }): LoggingWinston {
  return new LoggingWinston({
    projectId: params.projectId,
    level: params.level,
    // Write to stdout rather than calling the Logging API: no per-line RPC, nothing lost when an instance is
    // stopped, and the agent attaches the Cloud Run resource labels itself.
    redirectToStdout: true,
    // Fields become JSON keys beside `message` instead of being stringified into it.
    useMessageField: false,
    // The transport builds (but, writing to stdout, never uses) Logging API clients. Without a client of its own
    // it would look for Application Default Credentials at once, probing the metadata server from wherever it
    // runs (tests, a laptop). This client is never asked for a token.
    authClient: new OAuth2Client(),
  });
}

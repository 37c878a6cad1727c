import winston from 'winston';
import { cloudLoggingTransport } from './cloud-logging-transport';
import type { Logger } from './logger';

export type LogLevel = 'silent' | 'error' | 'warn' | 'info' | 'debug';

function wrap(target: winston.Logger): Logger {
  return {
    debug: (message, fields) => target.debug(message, fields),
    info: (message, fields) => target.info(message, fields),
    warn: (message, fields) => target.warn(message, fields),
    error: (message, fields) => target.error(message, fields),
    child: (fields) => wrap(target.child(fields)),
  };
}

function consoleFormat(json: boolean): winston.Logform.Format {
  return json
    ? winston.format.combine(winston.format.timestamp(), winston.format.json())
    : winston.format.combine(winston.format.colorize(), winston.format.simple());
}

/**
 * The one winston logger of a process, as a `Logger`.
 * - `gcp` (Cloud Run): Cloud Logging's structured JSON on stdout, with severity, and the trace of the request when a
 *   child logger carries `logging.googleapis.com/trace` (see `requestLogger`). `projectId` is the project traces
 *   belong to.
 * - otherwise: human-readable lines on a terminal, plain JSON lines when piped (`json` overrides).
 */
export function createLogger(params: { level: LogLevel; json?: boolean; gcp?: { projectId: string } }): Logger {
  const silent = params.level === 'silent';
  const level = silent ? 'error' : params.level;
  const transport = params.gcp
    ? cloudLoggingTransport({ projectId: params.gcp.projectId, level })
    : new winston.transports.Console({ format: consoleFormat(params.json ?? !process.stdout.isTTY) });
  return wrap(winston.createLogger({ level, silent, transports: [transport] }));
}

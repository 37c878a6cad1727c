import winston from 'winston';
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

/** The one winston logger of a process, as a `Logger`. Human-readable lines on a terminal, JSON otherwise. */
export function createLogger(params: { level: LogLevel; json?: boolean }): Logger {
  const json = params.json ?? !process.stdout.isTTY;
  const format = json
    ? winston.format.combine(winston.format.timestamp(), winston.format.json())
    : winston.format.combine(winston.format.colorize(), winston.format.simple());
  return wrap(
    winston.createLogger({
      level: params.level === 'silent' ? 'error' : params.level,
      silent: params.level === 'silent',
      format,
      transports: [new winston.transports.Console()],
    }),
  );
}

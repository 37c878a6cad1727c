/** What domain code logs through; it never imports winston. Fields are structured, not interpolated. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** A logger that adds `fields` to every line (e.g. a job id and scene). */
  child(fields: Record<string, unknown>): Logger;
}

import { formatSchema, qualitySchema, type OutputFormat, type Quality } from '../contracts/quality';
import type { OptionValues } from './cli-command';
import { UsageError } from './usage-error';

/** Exactly the positionals a command takes, named for the error message. */
export function positionalsOf(command: string, positionals: string[], names: string[], optional: string[] = []): string[] {
  if (positionals.length < names.length) throw new UsageError(`${command} needs ${names.slice(positionals.length).join(' and ')}`, command);
  if (positionals.length > names.length + optional.length) throw new UsageError(`${command} takes ${[...names, ...optional].join(' ')}; unexpected '${positionals[names.length + optional.length]}'`, command);
  return positionals;
}

export function stringOption(values: OptionValues, name: string): string | undefined {
  return values[name] as string | undefined;
}

function choice<T extends string>(values: OptionValues, name: string, allowed: readonly T[]): T | undefined {
  const value = stringOption(values, name);
  if (value !== undefined && !allowed.includes(value as T)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}; got '${value}'`);
  return value as T | undefined;
}

export const qualityOption = (values: OptionValues): Quality | undefined => choice(values, 'quality', qualitySchema.options);
export const formatOption = (values: OptionValues): OutputFormat | undefined => choice(values, 'format', formatSchema.options);

export function integerOption(values: OptionValues, name: string, min: number, max: number): number | undefined {
  const value = stringOption(values, name);
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}; got '${value}'`);
  return n;
}

/** Options shared by render and batch. */
export const RENDER_OPTIONS = {
  quality: { type: 'string' },
  format: { type: 'string' },
  timeout: { type: 'string' },
  wait: { type: 'boolean' },
  'idempotency-key': { type: 'string' },
} as const;

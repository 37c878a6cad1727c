import path from 'node:path';
import { z } from 'zod';

/** The repository (or image) root: `src/config` and `dist/config` are both two levels below it. */
export const APP_ROOT = path.resolve(__dirname, '..', '..');

/** "true"/"1" are true, "false"/"0" false; anything else is a config error rather than a silent false. */
const booleanSetting = z
  .enum(['true', '1', 'false', '0'])
  .transform((v) => v === 'true' || v === '1');

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const configSchema = z
  .object({
    MODE: z.enum(['local']).default('local'),
    HOST: z.string().min(1).default('127.0.0.1'),
    PORT: int(0, 65535).default(8080),
    DATA_DIR: z.string().min(1).default('./.data'),
    LOG_LEVEL: z.enum(['silent', 'error', 'warn', 'info', 'debug']).default('info'),
    PYTHON: z.string().min(1).default(path.join(APP_ROOT, '.venv', 'bin', 'python')),
    MAX_CODE_BYTES: int(1, 4 * 1024 * 1024).default(256 * 1024),
    DEFAULT_TIMEOUT_SECONDS: int(1, 3600).default(120),
    MAX_TIMEOUT_SECONDS: int(1, 3600).default(600),
    RENDER_CONCURRENCY: int(1, 64).default(1),
    TASK_MAX_ATTEMPTS: int(1, 100).default(5),
    TASK_MIN_BACKOFF_MS: int(0, 3_600_000).default(1000),
    TASK_MAX_BACKOFF_MS: int(0, 3_600_000).default(60_000),
    MAX_LOG_BYTES: int(1024, 64 * 1024 * 1024).default(1024 * 1024),
    MAX_OUTPUT_BYTES: int(1024, 16 * 1024 * 1024 * 1024).default(2 * 1024 * 1024 * 1024),
    RENDER_SEED: int(0, 2 ** 31 - 1).default(0),
    WARM_WORKER: booleanSetting.default(true),
  })
  .refine((c) => c.DEFAULT_TIMEOUT_SECONDS <= c.MAX_TIMEOUT_SECONDS, {
    message: 'DEFAULT_TIMEOUT_SECONDS must not exceed MAX_TIMEOUT_SECONDS',
    path: ['DEFAULT_TIMEOUT_SECONDS'],
  });

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {}

/**
 * Parses the service's settings from the environment, once, at boot. A bad value fails with the variable named;
 * nothing else in the service reads `process.env`.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  return { ...parsed.data, DATA_DIR: path.resolve(parsed.data.DATA_DIR) };
}

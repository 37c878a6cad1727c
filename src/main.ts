import { ConfigError, loadConfig } from './config/config';
import { createLogger } from './logging/create-logger';
import { startServer } from './server';

/** `npm start`: parse the config, serve, and shut down cleanly on SIGTERM (Cloud Run) or Ctrl-C. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger({
    level: config.LOG_LEVEL,
    ...(config.MODE === 'gcp' && config.GOOGLE_CLOUD_PROJECT && { gcp: { projectId: config.GOOGLE_CLOUD_PROJECT } }),
  });
  const server = await startServer(config, logger);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    server
      .close({ graceMs: 8_000 })
      .then(() => process.exit(0))
      .catch((error: Error) => {
        logger.error('shutdown failed', { error: error.message });
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

void main();

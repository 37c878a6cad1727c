import type { AddressInfo } from 'node:net';
import http from 'node:http';
import type { Express } from 'express';
import { composeService } from './adapters/compose';
import { createApiApp } from './api/app';
import type { Config } from './config/config';
import type { Logger } from './logging/logger';
import { createRendererApp } from './renderer/app';

export interface RunningServer {
  url: string;
  /** Stops accepting requests, lets renders in flight finish for `graceMs`, then hands the rest back to the queue. */
  close(params?: { graceMs?: number }): Promise<void>;
}

/** Starts the service as `config` says, listening on HOST:PORT (PORT 0 picks a free port). */
export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  const service = composeService(config, logger);
  let app: Express;
  if (service.api) app = createApiApp(service.api);
  else if (service.renderer) app = createRendererApp(service.renderer);
  else throw new Error('the composed service serves nothing');
  await service.prepare?.();
  const server = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.PORT, config.HOST, () => resolve());
  });
  service.start();
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${port}`;
  logger.info('manim-render listening', { url, mode: config.MODE, role: config.ROLE, dataDir: config.DATA_DIR });
  return {
    url,
    async close({ graceMs = 10_000 } = {}) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await service.stop({ graceMs });
      server.closeAllConnections();
      await closed;
    },
  };
}

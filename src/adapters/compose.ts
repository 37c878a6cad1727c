import type { Config } from '../config/config';
import type { Logger } from '../logging/logger';
import { composeLocal } from './compose-local';
import type { ComposedService } from './composed-service';

/**
 * The composition root: the one place that picks adapters. `local` runs everything in one process on embedded
 * adapters; `gcp` runs one role (ingress or renderer) on Firestore, Cloud Tasks and Cloud Storage.
 */
export function composeService(config: Config, logger: Logger): ComposedService {
  if (config.MODE === 'local') return composeLocal(config, logger);
  // Loaded only in gcp mode: the Google client libraries cost start-up time a local service has no use for.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { composeGcp } = require('./compose-gcp') as typeof import('./compose-gcp');
  return composeGcp(config, logger);
}

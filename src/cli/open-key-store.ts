import path from 'node:path';
import type { Config } from '../config/config';
import type { ApiKeyStore } from '../domain/ports/api-key-store';

/**
 * The API key store the service with this config uses, built as the composition roots build it
 * (src/adapters/compose-local.ts, compose-gcp.ts): SQLite under DATA_DIR locally, Firestore in gcp mode.
 * Each adapter is loaded only in its mode.
 */
export function openKeyStore(config: Config): { store: ApiKeyStore; close(): Promise<void> } {
  if (config.MODE === 'local') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { SqliteApiKeyStore } = require('../adapters/local/sqlite-api-key-store') as typeof import('../adapters/local/sqlite-api-key-store');
    const store = new SqliteApiKeyStore({ filePath: path.join(config.DATA_DIR, 'api-keys.sqlite') });
    return { store, close: async () => store.close() };
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { FirestoreApiKeyStore } = require('../adapters/google/firestore-api-key-store') as typeof import('../adapters/google/firestore-api-key-store');
  const store = new FirestoreApiKeyStore({
    projectId: config.GOOGLE_CLOUD_PROJECT!,
    databaseId: config.FIRESTORE_DATABASE,
    emulatorHost: config.FIRESTORE_EMULATOR_HOST,
  });
  return { store, close: () => store.close() };
}

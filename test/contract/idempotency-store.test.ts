import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FirestoreIdempotencyStore } from '../../src/adapters/google/firestore-idempotency-store';
import { SqliteIdempotencyStore } from '../../src/adapters/local/sqlite-idempotency-store';
import type { IdempotencyStore } from '../../src/domain/ports/idempotency-store';
import { startEmulators, type Emulators } from '../support/emulators';

// Reservations and their release, on the embedded store and on the Firestore emulator: a release that names the
// request it was for leaves a reservation someone else has made since (webhook-send-claim.ts relies on it).
jest.setTimeout(30_000);

let emulators: Emulators<'firestore'>;
let dir: string;
const closers: Array<() => unknown> = [];

beforeAll(async () => {
  emulators = await startEmulators('firestore');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idempotency-contract-'));
}, 60_000);

afterAll(async () => {
  for (const close of closers) await close();
  await emulators?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const STORES: Record<string, () => IdempotencyStore> = {
  SqliteIdempotencyStore: () => {
    const store = new SqliteIdempotencyStore({ filePath: path.join(dir, `${randomUUID()}.sqlite`) });
    closers.push(() => store.close());
    return store;
  },
  'FirestoreIdempotencyStore (emulator)': () => {
    const store = new FirestoreIdempotencyStore({ projectId: `idem-${randomUUID().slice(0, 8)}`, emulatorHost: emulators.firestoreHost });
    closers.push(() => store.close());
    return store;
  },
};

describe.each(Object.keys(STORES))('IdempotencyStore: %s', (name) => {
  const now = new Date();
  const record = (requestHash: string) => ({ requestHash, resourceId: 'r1' });

  it('reserves a key once, and again after a release', async () => {
    const store = STORES[name]!();
    expect(await store.reserve({ scope: 's', key: 'k', record: record('a'), now })).toEqual({ reserved: true });
    expect(await store.reserve({ scope: 's', key: 'k', record: record('b'), now })).toEqual({ reserved: false, existing: record('a') });
    await store.release({ scope: 's', key: 'k' });
    expect(await store.has({ scope: 's', key: 'k', now })).toBe(false);
    expect(await store.reserve({ scope: 's', key: 'k', record: record('b'), now })).toEqual({ reserved: true });
  });

  it('releases a reservation named by its request only while it is still that request\'s', async () => {
    const store = STORES[name]!();
    await store.reserve({ scope: 's', key: 'k', record: record('mine'), now });
    await store.release({ scope: 's', key: 'k', requestHash: 'someone-else' });
    expect(await store.has({ scope: 's', key: 'k', now })).toBe(true);
    await store.release({ scope: 's', key: 'k', requestHash: 'mine' });
    expect(await store.has({ scope: 's', key: 'k', now })).toBe(false);
    // Releasing what is gone is no error.
    await expect(store.release({ scope: 's', key: 'k', requestHash: 'mine' })).resolves.toBeUndefined();
  });
});

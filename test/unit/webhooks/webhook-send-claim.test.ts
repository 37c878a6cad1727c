import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqliteIdempotencyStore } from '../../../src/adapters/local/sqlite-idempotency-store';
import { claimWebhookSend } from '../../../src/webhooks/webhook-send-claim';

// The claim on posting one event: one holder at a time, a dead holder's claim taken over once stale, by one only.
describe('claimWebhookSend', () => {
  let dir: string;
  let idempotency: SqliteIdempotencyStore;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'webhook-claim-'));
    idempotency = new SqliteIdempotencyStore({ filePath: path.join(dir, 'idempotency.sqlite') });
  });
  afterEach(() => {
    idempotency.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const claim = (at: number) => claimWebhookSend({ idempotency, eventId: 'render.finished:j1', resourceId: 'j1', now: new Date(at), leaseMs: 1000 });

  it('lets one delivery post at a time, and the next once it is released', async () => {
    const first = await claim(0);
    expect(first.claimed).toBe(true);
    expect((await claim(10)).claimed).toBe(false);
    if (first.claimed) await first.release();
    expect((await claim(20)).claimed).toBe(true);
  });

  it('lets exactly one of two deliveries take over a stale claim, and a late release of the dead one removes nothing', async () => {
    const dead = await claim(0);
    const [a, b] = [await claim(5000), await claim(5001)];
    expect([a.claimed, b.claimed]).toEqual([true, false]);
    // The first holder was not dead after all, only slow: its release must not free the new holder's claim.
    if (dead.claimed) await dead.release();
    expect((await claim(5002)).claimed).toBe(false);
  });
});

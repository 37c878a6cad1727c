import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import express from 'express';
import type { AddressInfo } from 'node:net';
import { errorHandler } from '../../../src/api/middleware/error-handler';
import { isStorageFull } from '../../../src/api/middleware/storage-full';
import { createLogger } from '../../../src/logging/create-logger';

describe('a full disk under a request', () => {
  it("recognises SQLite's own SQLITE_FULL, as node:sqlite raises it, and a file write's ENOSPC", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'storage-full-'));
    const db = new DatabaseSync(path.join(dir, 'small.sqlite'));
    try {
      // A database that may not grow past its first pages is full as soon as a row needs another one.
      db.exec('CREATE TABLE t (v TEXT)');
      const pages = (db.prepare('PRAGMA page_count').get() as { page_count: number }).page_count;
      db.exec(`PRAGMA max_page_count = ${pages}`);
      let raised: unknown;
      try {
        db.prepare('INSERT INTO t VALUES (?)').run('x'.repeat(100_000));
      } catch (error) {
        raised = error;
      }
      expect(raised).toBeDefined();
      expect(isStorageFull(raised)).toBe(true);
    } finally {
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(isStorageFull(Object.assign(new Error('write failed'), { code: 'ENOSPC' }))).toBe(true);
    expect(isStorageFull(new Error('something else'))).toBe(false);
    expect(isStorageFull(undefined)).toBe(false);
  });

  it('answers 503 storage_full with Retry-After, not a 500', async () => {
    const app = express();
    app.get('/x', () => {
      throw Object.assign(new Error('database or disk is full'), { code: 'ERR_SQLITE_ERROR', errcode: 13 });
    });
    app.use(errorHandler(createLogger({ level: 'silent' })));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/x`);
    await new Promise((resolve) => server.close(resolve));
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('30');
    expect(await res.json()).toEqual({ error: { code: 'storage_full', message: "the service's storage is full; try again later" } });
  });
});

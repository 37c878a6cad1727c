import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { BlobStore } from '../../src/domain/ports/blob-store';

export interface BlobStoreUnderTest {
  store: BlobStore;
  cleanup(): Promise<void>;
}

async function readAll(stream: Promise<Readable>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

/**
 * The behaviour every BlobStore must have, run against each adapter (files on disk always; Cloud Storage on its
 * emulator). Keys live under a random job prefix per test, so a store shared between tests still works.
 */
export function describeBlobStoreContract(name: string, makeStore: () => Promise<BlobStoreUnderTest>): void {
  describe(`BlobStore contract: ${name}`, () => {
    let subject: BlobStoreUnderTest;
    let store: BlobStore;
    let sources: string;
    let prefix: string;

    beforeEach(async () => {
      subject = await makeStore();
      store = subject.store;
      sources = fs.mkdtempSync(path.join(os.tmpdir(), 'blob-sources-'));
      prefix = `jobs/j${randomUUID().replace(/-/g, '')}`;
    });

    afterEach(async () => {
      await subject.cleanup();
      fs.rmSync(sources, { recursive: true, force: true });
    });

    function sourceFile(content: Buffer, name = 'out.mp4'): string {
      const file = path.join(sources, name);
      fs.writeFileSync(file, content);
      return file;
    }

    it('stores a file and gives back its size, content type and exact bytes', async () => {
      const content = randomBytes(100_000);
      const key = `${prefix}/Intro/Intro.mp4`;
      expect(await store.putFile({ key, filePath: sourceFile(content), contentType: 'video/mp4' })).toEqual({
      bytes: content.length,
        contentType: 'video/mp4',
      });
      expect(await store.stat({ key })).toEqual({ updatedAt: expect.any(String),bytes: content.length, contentType: 'video/mp4' });
      expect((await readAll(store.read({ key }))).equals(content)).toBe(true);
    });

    it('stores bytes from memory, says when each blob was written, and deletes one blob alone', async () => {
      const bytes = randomBytes(3000);
      const key = `${prefix}/files/a`;
      const before = Date.now();
      await store.putBytes({ key, bytes, contentType: 'image/png' });
      const info = await store.stat({ key });
      expect(info).toMatchObject({ bytes: 3000, contentType: 'image/png' });
      // Within the clocks' skew of this machine and the store's.
      expect(Math.abs(Date.parse(info!.updatedAt) - before)).toBeLessThan(60_000);
      expect((await readAll(store.read({ key }))).equals(bytes)).toBe(true);
      await store.putBytes({ key: `${key}b`, bytes, contentType: 'image/png' });
      await store.delete({ key });
      await store.delete({ key }); // a missing blob is no error
      expect(await store.stat({ key })).toBeNull();
      expect(await store.stat({ key: `${key}b` })).not.toBeNull();
    });

    it('reads exactly the bytes of an inclusive range', async () => {
      const content = randomBytes(4096);
      const key = `${prefix}/Intro/Intro.mp4`;
      await store.putFile({ key, filePath: sourceFile(content), contentType: 'video/mp4' });
      expect((await readAll(store.read({ key, start: 10, end: 19 }))).equals(content.subarray(10, 20))).toBe(true);
      expect((await readAll(store.read({ key, start: 0, end: 0 }))).equals(content.subarray(0, 1))).toBe(true);
      expect((await readAll(store.read({ key, start: 4000, end: 4095 }))).equals(content.subarray(4000))).toBe(true);
    });

    it('refuses to store a symlink, even to a regular file', async () => {
      const target = sourceFile(Buffer.from('secret'), 'target.txt');
      const link = path.join(sources, 'link.mp4');
      fs.symlinkSync(target, link);
      const key = `${prefix}/Intro/Intro.mp4`;
      await expect(store.putFile({ key, filePath: link, contentType: 'video/mp4' })).rejects.toThrow();
      expect(await store.stat({ key })).toBeNull();
    });

    it('refuses to store a directory', async () => {
      const key = `${prefix}/Intro/Intro.mp4`;
      await expect(store.putFile({ key, filePath: sources, contentType: 'video/mp4' })).rejects.toThrow();
      expect(await store.stat({ key })).toBeNull();
    });

    it('stores text as UTF-8 with its content type', async () => {
      const key = `${prefix}/Intro/render.log`;
      const text = 'Traceback: naïve → ✗\n';
      await store.putText({ key, text, contentType: 'text/plain; charset=utf-8' });
      expect(await store.stat({ key })).toEqual({ updatedAt: expect.any(String),bytes: Buffer.byteLength(text), contentType: 'text/plain; charset=utf-8' });
      expect((await readAll(store.read({ key }))).toString('utf8')).toBe(text);
    });

    it('copies a blob to another key with its content type, leaving the original', async () => {
      const from = `${prefix}/copy-from/out.txt`;
      const to = `${prefix}/copy-to/out.txt`;
      await store.putText({ key: from, text: 'the same bytes', contentType: 'text/x-log' });
      await store.copy({ fromKey: from, toKey: to });
      expect(await store.stat({ key: to })).toEqual({ updatedAt: expect.any(String),bytes: 14, contentType: 'text/x-log' });
      expect((await readAll(store.read({ key: to }))).toString()).toBe('the same bytes');
      expect(await store.stat({ key: from })).not.toBeNull();
    });

    it('keeps a copy whole when the original is deleted, and the original when the copy is', async () => {
      const from = `${prefix}/copied/a/out.txt`;
      await store.putText({ key: from, text: 'kept by both', contentType: 'text/plain' });
      await store.copy({ fromKey: from, toKey: `${prefix}/copied/b/out.txt` });
      await store.copy({ fromKey: from, toKey: `${prefix}/copied/c/out.txt` });
      await store.deletePrefix({ prefix: `${prefix}/copied/a/` });
      expect((await readAll(store.read({ key: `${prefix}/copied/b/out.txt` }))).toString()).toBe('kept by both');
      await store.deletePrefix({ prefix: `${prefix}/copied/b/` });
      expect((await readAll(store.read({ key: `${prefix}/copied/c/out.txt` }))).toString()).toBe('kept by both');
    });

    it('replaces a blob written again under the same key', async () => {
      const key = `${prefix}/Intro/render.log`;
      await store.putText({ key, text: 'first attempt, much longer', contentType: 'text/plain' });
      await store.putText({ key, text: 'second', contentType: 'text/x-log' });
      expect(await store.stat({ key })).toEqual({ updatedAt: expect.any(String),bytes: 6, contentType: 'text/x-log' });
      expect((await readAll(store.read({ key }))).toString()).toBe('second');
    });

    it('answers null for the stat of a missing blob, and fails to read it', async () => {
      const key = `${prefix}/Missing/Missing.mp4`;
      expect(await store.stat({ key })).toBeNull();
      await expect(readAll(store.read({ key }))).rejects.toThrow();
    });

    it('deletes everything under a job prefix and nothing else', async () => {
      const sibling = `${prefix}x`; // shares the prefix's characters, but not its path
      const gone = [`${prefix}/A/A.mp4`, `${prefix}/A/render.log`, `${prefix}/B/B.mp4`];
      const kept = [`${sibling}/A/A.mp4`, `jobs/other${randomUUID().replace(/-/g, '')}/A/A.mp4`];
      for (const key of [...gone, ...kept]) await store.putText({ key, text: key, contentType: 'text/plain' });
      await store.deletePrefix({ prefix: `${prefix}/` });
      for (const key of gone) expect(await store.stat({ key })).toBeNull();
      for (const key of kept) expect(await store.stat({ key })).toEqual({ updatedAt: expect.any(String),bytes: key.length, contentType: 'text/plain' });
      for (const key of kept) await store.deletePrefix({ prefix: `${key.split('/').slice(0, 2).join('/')}/` });
    });

    it('deletes a prefix with nothing under it without complaint', async () => {
      await expect(store.deletePrefix({ prefix: `${prefix}/` })).resolves.toBeUndefined();
    });

    it('signs no URL, or one that downloads the same bytes', async () => {
      const content = randomBytes(10_000);
      const key = `${prefix}/Intro/Intro.mp4`;
      await store.putFile({ key, filePath: sourceFile(content), contentType: 'video/mp4' });
      const url = await store.signedUrl({ key, expiresInSeconds: 60 });
      if (url === null) return; // the store has no URLs of its own: the API serves the bytes
      const response = await fetch(url);
      expect(response.status).toBe(200);
      expect(Buffer.from(await response.arrayBuffer()).equals(content)).toBe(true);
    });
  });
}

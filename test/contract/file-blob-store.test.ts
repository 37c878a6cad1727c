import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileBlobStore } from '../../src/adapters/local/file-blob-store';
import { describeBlobStoreContract } from './blob-store-contract';

describeBlobStoreContract('FileBlobStore', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'file-blob-store-'));
  return {
    store: new FileBlobStore({ rootDir: path.join(dir, 'blobs') }),
    async cleanup() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('FileBlobStore', () => {
  let dir: string;
  let root: string;
  let store: FileBlobStore;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'file-blob-store-'));
    root = path.join(dir, 'blobs');
    store = new FileBlobStore({ rootDir: root });
  });

  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('copies a large blob without using its size again on disk, however often it is copied', async () => {
    const source = path.join(dir, 'video.mp4');
    fs.writeFileSync(source, Buffer.alloc(8 * 1024 * 1024, 7));
    await store.putFile({ key: 'jobs/a/S/S.mp4', filePath: source, contentType: 'video/mp4' });
    for (const job of ['b', 'c', 'd']) await store.copy({ fromKey: 'jobs/a/S/S.mp4', toKey: `jobs/${job}/S/S.mp4` });
    const stats = ['a', 'b', 'c', 'd'].map((job) => fs.statSync(path.join(root, 'jobs', job, 'S', 'S.mp4')));
    expect(new Set(stats.map((stat) => stat.ino)).size).toBe(1);
    expect(stats[0]!.nlink).toBe(4);
  });

  it.each([
    ['a parent segment', '../escape'],
    ['a parent segment inside', 'jobs/../../escape'],
    ['a current-directory segment', 'jobs/./a'],
    ['an empty segment', 'jobs//a'],
    ['a trailing slash', 'jobs/a/'],
    ['an absolute path', '/etc/passwd'],
    ['the empty key', ''],
    ['a hidden name', 'jobs/.hidden'],
    ['a backslash', 'jobs\\a'],
  ])('refuses a key with %s and writes nothing', async (_what, key) => {
    await expect(store.putText({ key, text: 'x', contentType: 'text/plain' })).rejects.toThrow('invalid blob key');
    await expect(store.stat({ key })).rejects.toThrow('invalid blob key');
    await expect(store.read({ key })).rejects.toThrow('invalid blob key');
    expect(fs.readdirSync(dir)).toEqual(['blobs']);
    expect(fs.readdirSync(root)).toEqual([]);
  });

  it('refuses to delete under an invalid prefix', async () => {
    fs.writeFileSync(path.join(dir, 'outside'), 'keep me');
    await expect(store.deletePrefix({ prefix: '../' })).rejects.toThrow('invalid blob key');
    await expect(store.deletePrefix({ prefix: '' })).rejects.toThrow('invalid blob key');
    expect(fs.readFileSync(path.join(dir, 'outside'), 'utf8')).toBe('keep me');
  });

  it('keeps blobs and their content types for a new store on the same directory', async () => {
    await store.putText({ key: 'jobs/j1/A/render.log', text: 'hello', contentType: 'text/plain; charset=utf-8' });
    const reopened = new FileBlobStore({ rootDir: root });
    expect(await reopened.stat({ key: 'jobs/j1/A/render.log' })).toEqual({ updatedAt: expect.any(String), bytes: 5, contentType: 'text/plain; charset=utf-8' });
  });

  it('leaves no partial file behind when the source cannot be read', async () => {
    await expect(
      store.putFile({ key: 'jobs/j1/A/A.mp4', filePath: path.join(dir, 'does-not-exist.mp4'), contentType: 'video/mp4' }),
    ).rejects.toThrow();
    const left = fs.existsSync(path.join(root, 'jobs/j1/A')) ? fs.readdirSync(path.join(root, 'jobs/j1/A')) : [];
    expect(left).toEqual([]);
  });
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileBlobStore } from '../../../../src/adapters/local/file-blob-store';
import { ValidationError } from '../../../../src/domain/errors';
import { pendingUploadKey } from '../../../../src/domain/project-files/project-file-keys';
import type { ProjectFileLimits } from '../../../../src/domain/project-files/project-file-limits';
import { resolveProjectFiles } from '../../../../src/domain/project-files/resolve-project-files';
import { findProjectFile, sha256Of, storeProjectFile, type ProjectFileDeps } from '../../../../src/domain/project-files/stored-project-file';
import { codeDigest } from '../../../../src/domain/render-key';

const SHOWCASE = path.resolve(__dirname, '../../../fixtures/projects/showcase');
const read = (file: string) => fs.readFileSync(path.join(SHOWCASE, file));
const DAY = 24 * 3600 * 1000;

describe('resolveProjectFiles', () => {
  let dir: string;
  let now: Date;
  let deps: ProjectFileDeps;
  const limits: ProjectFileLimits = { maxFiles: 4, maxFileBytes: 40_000, maxTotalBytes: 60_000, maxInlineBytes: 30_000, retentionDays: 30 };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'project-files-'));
    now = new Date();
    deps = { blobStore: new FileBlobStore({ rootDir: dir }), clock: { now: () => now }, limits };
  });

  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const codeOf = async (run: Promise<unknown>) =>
    run.then(
      () => undefined,
      (error: unknown) => (error instanceof ValidationError ? error.code : String(error)),
    );

  it('stores inline files and finds uploaded ones, naming each by hash', async () => {
    const font = await storeProjectFile(deps, { owner: 'alice', bytes: read('fonts/ComicNeue-Regular.otf') });
    const files = await resolveProjectFiles(deps, {
      owner: 'alice',
      files: [
        { path: 'assets/logo.png', content: read('assets/logo.png').toString('base64') },
        { path: 'fonts/ComicNeue-Regular.otf', sha256: font.sha256 },
      ],
    });
    expect(files).toEqual([
      { path: 'assets/logo.png', sha256: sha256Of(read('assets/logo.png')), size: read('assets/logo.png').length },
      { path: 'fonts/ComicNeue-Regular.otf', sha256: font.sha256, size: font.size },
    ]);
    // The inline file is stored too: a later render may name it by hash.
    expect(await findProjectFile(deps, { owner: 'alice', sha256: files[0]!.sha256 })).toMatchObject({ kind: 'png' });
  });

  it("keeps principals apart: another principal's hash is unknown", async () => {
    const font = await storeProjectFile(deps, { owner: 'alice', bytes: read('fonts/ComicNeue-Regular.otf') });
    expect(await codeOf(resolveProjectFiles(deps, { owner: 'bob', files: [{ path: 'f.otf', sha256: font.sha256 }] }))).toBe('unknown_file');
  });

  it('lets files expire like jobs, and renews one uploaded again', async () => {
    const stored = await storeProjectFile(deps, { owner: 'alice', bytes: read('sounds/beep.wav') });
    expect(Date.parse(stored.expiresAt) - now.getTime()).toBe(30 * DAY);
    now = new Date(now.getTime() + 31 * DAY);
    expect(await findProjectFile(deps, { owner: 'alice', sha256: stored.sha256 })).toBeNull();
    expect(await codeOf(resolveProjectFiles(deps, { owner: 'alice', files: [{ path: 'b.wav', sha256: stored.sha256 }] }))).toBe('unknown_file');
  });

  it('bounds the count, each size, the inline bytes and the total', async () => {
    const png = read('assets/logo.png').toString('base64');
    const many = Array.from({ length: 5 }, (_, i) => ({ path: `f${i}.png`, content: png }));
    expect(await codeOf(resolveProjectFiles(deps, { owner: 'a', files: many }))).toBe('too_many_files');
    const big = Buffer.alloc(45_000, 'x');
    expect(await codeOf(storeProjectFile(deps, { owner: 'a', bytes: big }))).toBe('file_too_large');
    const inline = [0, 1].map((i) => ({ path: `t${i}.txt`, content: Buffer.alloc(20_000, 'y').toString('base64') }));
    expect(await codeOf(resolveProjectFiles(deps, { owner: 'a', files: inline }))).toBe('inline_files_too_large');
    const uploaded = await Promise.all([0, 1].map((i) => storeProjectFile(deps, { owner: 'a', bytes: Buffer.alloc(35_000, String(i)) })));
    const named = uploaded.map((file, i) => ({ path: `u${i}.txt`, sha256: file.sha256 }));
    expect(await codeOf(resolveProjectFiles(deps, { owner: 'a', files: named }))).toBe('files_too_large');
  });

  it('checks each file\'s bytes against its name', async () => {
    const png = read('assets/logo.png').toString('base64');
    expect(await codeOf(resolveProjectFiles(deps, { owner: 'a', files: [{ path: 'font.ttf', content: png }] }))).toBe('file_type_mismatch');
    expect(await codeOf(resolveProjectFiles(deps, { owner: 'a', files: [{ path: 'x.sh', content: png }] }))).toBe('unsupported_file_type');
    const elf = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]).toString('base64');
    expect(await codeOf(resolveProjectFiles(deps, { owner: 'a', files: [{ path: 'x.txt', content: elf }] }))).toBe('unsupported_file_type');
  });

  it('checks a signed upload against its hash before any render uses it, and keeps only a match', async () => {
    const bytes = read('sounds/beep.wav');
    const sha256 = sha256Of(bytes);
    await deps.blobStore.putBytes({ key: pendingUploadKey('alice', sha256), bytes, contentType: 'audio/wav' });
    expect(await resolveProjectFiles(deps, { owner: 'alice', files: [{ path: 'beep.wav', sha256 }] })).toEqual([{ path: 'beep.wav', sha256, size: bytes.length }]);
    expect(await deps.blobStore.stat({ key: pendingUploadKey('alice', sha256) })).toBeNull();

    const wrong = 'e'.repeat(64);
    await deps.blobStore.putBytes({ key: pendingUploadKey('alice', wrong), bytes, contentType: 'audio/wav' });
    expect(await codeOf(resolveProjectFiles(deps, { owner: 'alice', files: [{ path: 'beep.wav', sha256: wrong }] }))).toBe('file_hash_mismatch');
    // Refused, the unchecked bytes are gone: the hash stays unknown until uploaded right.
    expect(await findProjectFile(deps, { owner: 'alice', sha256: wrong })).toBeNull();
  });

  it('keys renders by every file: other bytes or another path is another render, the order is not', () => {
    const a = { path: 'a.png', sha256: '1'.repeat(64) };
    const b = { path: 'b.wav', sha256: '2'.repeat(64) };
    expect(codeDigest('code', [a, b])).toBe(codeDigest('code', [b, a]));
    expect(codeDigest('code', [a, b])).not.toBe(codeDigest('code', [a, { ...b, sha256: '3'.repeat(64) }]));
    expect(codeDigest('code', [a])).not.toBe(codeDigest('code', [{ ...a, path: 'c.png' }]));
    expect(codeDigest('code', [])).toBe(codeDigest('code'));
    expect(codeDigest('code', [a])).not.toBe(codeDigest('code'));
  });
});

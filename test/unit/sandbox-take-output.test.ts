import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readFileBeneath, readFilesBeneath } from '../../src/renderer/untrusted/read-beneath';
import { takeOutput } from '../../src/renderer/untrusted/take-output';

// The service's taking of what a dead sandbox reported as its output, against links and files the scene planted.
let root: string;
let workDir: string;
let outputDir: string;
let secretDir: string;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-output-'));
  workDir = path.join(root, 'w-1');
  outputDir = path.join(workDir, 'media');
  fs.mkdirSync(path.join(outputDir, 'videos'), { recursive: true });
  secretDir = path.join(root, 'host');
  fs.mkdirSync(secretDir);
  fs.writeFileSync(path.join(secretDir, 'secret.mp4'), 'the service key');
});

afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

const take = (reported: string, maxBytes = 64 * 1024) => takeOutput({ workDir, relative: path.posix.join('media', reported), maxBytes });

describe('takeOutput against planted files', () => {
  it('moves a regular file out of the render directory into a directory of its own, and says where', async () => {
    fs.writeFileSync(path.join(outputDir, 'videos', 'Scene.mp4'), 'video');
    const taken = await take('videos/Scene.mp4');
    expect(taken).toMatchObject({ ok: true, bytes: 5 });
    if (!taken.ok) return;
    expect(path.dirname(path.dirname(taken.filePath))).toBe(workDir);
    expect(path.basename(path.dirname(taken.filePath))).toMatch(/^\.taken-[0-9a-f-]+$/);
    expect(fs.readFileSync(taken.filePath, 'utf8')).toBe('video');
    expect(fs.existsSync(path.join(outputDir, 'videos', 'Scene.mp4'))).toBe(false);
  });

  it('refuses an output that is a symlink to a file of the host, without reading it', async () => {
    fs.symlinkSync(path.join(secretDir, 'secret.mp4'), path.join(outputDir, 'videos', 'Scene.mp4'));
    await expect(take('videos/Scene.mp4')).resolves.toMatchObject({ ok: false, reason: 'output_invalid', message: expect.stringMatching(/symbolic link/) });
  });

  it('refuses an output whose directory is a symlink, even to a directory inside the render directory', async () => {
    fs.mkdirSync(path.join(outputDir, 'real'));
    fs.writeFileSync(path.join(outputDir, 'real', 'Scene.mp4'), 'video');
    fs.symlinkSync(path.join(outputDir, 'real'), path.join(outputDir, 'videos', '480p15'));
    await expect(take('videos/480p15/Scene.mp4')).resolves.toMatchObject({ ok: false, message: expect.stringMatching(/symbolic link/) });
  });

  it('refuses an output when the media directory itself was swapped for a link to a host directory', async () => {
    fs.rmSync(outputDir, { recursive: true });
    fs.symlinkSync(secretDir, outputDir);
    await expect(take('secret.mp4')).resolves.toMatchObject({ ok: false, reason: 'output_invalid', message: expect.stringMatching(/symbolic link/) });
    // Also as a relative link, and with the host file reported through an absolute path.
    fs.rmSync(outputDir);
    fs.symlinkSync('../host', outputDir);
    await expect(take('secret.mp4')).resolves.toMatchObject({ ok: false, reason: 'output_invalid' });
    await expect(take(path.join(secretDir, 'secret.mp4'))).resolves.toMatchObject({ ok: false, reason: 'output_invalid' });
  });

  it('refuses reported paths that climb out of the render directory', async () => {
    await expect(take('../../host/secret.mp4')).resolves.toMatchObject({ ok: false, message: expect.stringMatching(/climbs out/) });
    await expect(take('videos/../../../host/secret.mp4')).resolves.toMatchObject({ ok: false, message: expect.stringMatching(/climbs out/) });
  });

  it('refuses a FIFO without blocking on it, and a directory', async () => {
    execFileSync('mkfifo', [path.join(outputDir, 'videos', 'Scene.mp4')]);
    await expect(take('videos/Scene.mp4')).resolves.toMatchObject({ ok: false, message: expect.stringMatching(/not a regular file/) });
    await expect(take('videos')).resolves.toMatchObject({ ok: false, reason: 'output_invalid' });
  });

  it('refuses an output over the size limit, and an empty one', async () => {
    fs.writeFileSync(path.join(outputDir, 'videos', 'Big.mp4'), Buffer.alloc(128 * 1024, 1));
    await expect(take('videos/Big.mp4')).resolves.toMatchObject({ ok: false, reason: 'output_too_large', bytes: expect.any(Number) });
    fs.writeFileSync(path.join(outputDir, 'videos', 'Empty.mp4'), '');
    await expect(take('videos/Empty.mp4')).resolves.toMatchObject({ ok: false, message: 'the output is empty' });
  });

  it('refuses a sparse file, whose length is far beyond the blocks it holds', async () => {
    const file = path.join(outputDir, 'videos', 'Sparse.mp4');
    fs.writeFileSync(file, 'x');
    fs.truncateSync(file, 64 * 1024 * 1024);
    expect(fs.statSync(file).blocks * 512).toBeLessThan(1024 * 1024);
    await expect(take('videos/Sparse.mp4', 128 * 1024 * 1024)).resolves.toMatchObject({ ok: false, message: expect.stringMatching(/sparse/) });
  });

  it('refuses a file with a second name (a hard link the scene kept)', async () => {
    const file = path.join(outputDir, 'videos', 'Scene.mp4');
    fs.writeFileSync(file, 'video');
    fs.linkSync(file, path.join(outputDir, 'kept.mp4'));
    await expect(take('videos/Scene.mp4')).resolves.toMatchObject({ ok: false, message: expect.stringMatching(/hard link/) });
  });

  it('names no host path in what it says', async () => {
    fs.rmSync(outputDir, { recursive: true });
    fs.symlinkSync(secretDir, outputDir);
    const taken = await take('secret.mp4');
    expect(JSON.stringify(taken)).not.toContain(root);
  });
});

describe('reading small files a sandbox left', () => {
  it('reads a file beneath the directory and refuses one reached through a link or over its cap', async () => {
    fs.writeFileSync(path.join(outputDir, 'manifest.json'), '[]');
    await expect(readFileBeneath({ root: workDir, relative: 'media/manifest.json', maxBytes: 10 })).resolves.toEqual(Buffer.from('[]'));
    await expect(readFileBeneath({ root: workDir, relative: 'media/manifest.json', maxBytes: 1 })).rejects.toThrow(/over 1 bytes/);
    fs.symlinkSync(secretDir, path.join(outputDir, 'Tex'));
    await expect(readFileBeneath({ root: workDir, relative: 'media/Tex/secret.mp4', maxBytes: 100 })).rejects.toThrow(/symbolic link/);
  });

  it("lists a directory's regular files through its descriptor, and nothing of a directory swapped for a link", async () => {
    fs.mkdirSync(path.join(outputDir, 'Tex'));
    fs.writeFileSync(path.join(outputDir, 'Tex', 'a.svg'), '<svg/>');
    fs.symlinkSync(path.join(secretDir, 'secret.mp4'), path.join(outputDir, 'Tex', 'b.svg'));
    const all = () => true;
    await expect(readFilesBeneath({ root: workDir, relative: 'media/Tex', wanted: all, maxBytes: 100 })).resolves.toEqual([{ name: 'a.svg', data: Buffer.from('<svg/>') }]);
    fs.rmSync(path.join(outputDir, 'Tex'), { recursive: true });
    fs.symlinkSync(secretDir, path.join(outputDir, 'Tex'));
    await expect(readFilesBeneath({ root: workDir, relative: 'media/Tex', wanted: all, maxBytes: 100 })).resolves.toEqual([]);
  });
});

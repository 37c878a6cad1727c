import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { verifyOutput } from '../../src/renderer/verify-output';

// The parent's checks of what a sandboxed scene reports as its output, against links and files the scene planted.
let root: string;
let outputDir: string;
let secret: string;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-output-'));
  outputDir = path.join(root, 'media');
  fs.mkdirSync(path.join(outputDir, 'videos'), { recursive: true });
  secret = path.join(root, 'secret.txt');
  fs.writeFileSync(secret, 'the service key');
});

afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

const verify = (reported: string, maxBytes = 1024) => verifyOutput({ outputDir, reported, maxBytes });

describe('verifyOutput against planted files', () => {
  it('accepts a regular file inside the render directory', async () => {
    fs.writeFileSync(path.join(outputDir, 'videos', 'Scene.mp4'), 'video');
    await expect(verify('videos/Scene.mp4')).resolves.toEqual({ ok: true, filePath: path.join(fs.realpathSync(outputDir), 'videos', 'Scene.mp4'), bytes: 5 });
  });

  it('refuses an output that is a symlink to a file of the host, without reading it', async () => {
    fs.symlinkSync(secret, path.join(outputDir, 'videos', 'Scene.mp4'));
    await expect(verify('videos/Scene.mp4')).resolves.toMatchObject({ ok: false, reason: 'output_invalid', message: 'the output is a symbolic link' });
  });

  it('refuses an output whose directory is a symlink, even to a directory inside the render directory', async () => {
    fs.mkdirSync(path.join(outputDir, 'real'));
    fs.writeFileSync(path.join(outputDir, 'real', 'Scene.mp4'), 'video');
    fs.symlinkSync(path.join(outputDir, 'real'), path.join(outputDir, 'videos', '480p15'));
    await expect(verify('videos/480p15/Scene.mp4')).resolves.toMatchObject({ ok: false, message: 'the output path passes through a symbolic link' });
  });

  it('refuses an output whose directory is a symlink out of the render directory', async () => {
    fs.symlinkSync(root, path.join(outputDir, 'videos', '480p15'));
    await expect(verify('videos/480p15/secret.txt')).resolves.toMatchObject({ ok: false, reason: 'output_invalid' });
  });

  it('refuses reported paths that climb out of the render directory or are absolute', async () => {
    await expect(verify('../secret.txt')).resolves.toMatchObject({ ok: false, message: 'the reported output is outside the render directory' });
    await expect(verify(secret)).resolves.toMatchObject({ ok: false, message: 'the reported output is outside the render directory' });
  });

  it('refuses a FIFO without blocking on it, and a directory', async () => {
    execFileSync('mkfifo', [path.join(outputDir, 'videos', 'Scene.mp4')]);
    await expect(verify('videos/Scene.mp4')).resolves.toMatchObject({ ok: false, message: 'the output is not a regular file' });
    await expect(verify('videos')).resolves.toMatchObject({ ok: false, reason: 'output_invalid' });
  });

  it('refuses an output over the size limit, and an empty one', async () => {
    fs.writeFileSync(path.join(outputDir, 'videos', 'Big.mp4'), Buffer.alloc(2048));
    await expect(verify('videos/Big.mp4')).resolves.toMatchObject({ ok: false, reason: 'output_too_large', bytes: 2048 });
    fs.writeFileSync(path.join(outputDir, 'videos', 'Empty.mp4'), '');
    await expect(verify('videos/Empty.mp4')).resolves.toMatchObject({ ok: false, message: 'the output is empty' });
  });
});

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { copyLiveFile } from '../../src/renderer/untrusted/copy-live-file';

// The service's copy of a live segment out of a sandbox that is still running, against files the scene planted.
let root: string;
let workDir: string;
let liveDir: string;
let to: string;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-live-'));
  workDir = path.join(root, 'w-1');
  liveDir = path.join(workDir, 'media', 'live');
  fs.mkdirSync(liveDir, { recursive: true });
  fs.mkdirSync(path.join(root, 'host'));
  fs.writeFileSync(path.join(root, 'host', 'secret'), 'the service key');
  to = path.join(root, 'w-1.live-0.ts');
});

afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

const copy = (relative: string, maxBytes = 1024) => copyLiveFile({ workDir, relative: path.posix.join('media', relative), to, maxBytes });

describe('copyLiveFile against planted files', () => {
  it('copies a regular segment to a path outside the sandbox and leaves the original', async () => {
    fs.writeFileSync(path.join(liveDir, '0.ts'), 'segment');
    expect(await copy('live/0.ts')).toEqual({ ok: true, bytes: 7 });
    expect(fs.readFileSync(to, 'utf8')).toBe('segment');
    expect(fs.existsSync(path.join(liveDir, '0.ts'))).toBe(true);
  });

  it.each([
    ['a symlink to a file of the host', () => fs.symlinkSync(path.join(root, 'host', 'secret'), path.join(liveDir, '0.ts')), 'live/0.ts'],
    ['a path through a symlinked directory', () => fs.symlinkSync(path.join(root, 'host'), path.join(liveDir, 'up')), 'live/up/secret'],
    ['a path that climbs out', () => undefined, '../../host/secret'],
    ['a hard link to another file', () => {
      fs.writeFileSync(path.join(liveDir, 'a.ts'), 'a');
      fs.linkSync(path.join(liveDir, 'a.ts'), path.join(liveDir, '0.ts'));
    }, 'live/0.ts'],
    ['a FIFO (the open must not hang)', () => execFileSync('mkfifo', [path.join(liveDir, '0.ts')]), 'live/0.ts'],
    ['a directory', () => fs.mkdirSync(path.join(liveDir, '0.ts')), 'live/0.ts'],
    ['an empty file', () => fs.writeFileSync(path.join(liveDir, '0.ts'), ''), 'live/0.ts'],
    ['a file over the size limit', () => fs.writeFileSync(path.join(liveDir, '0.ts'), Buffer.alloc(2048)), 'live/0.ts'],
  ])('refuses %s, and writes nothing', async (_what, plant, reported) => {
    plant();
    const copied = await copy(reported);
    expect(copied.ok).toBe(false);
    expect(fs.existsSync(to)).toBe(false);
  });

  it('never overwrites or follows what is already at the destination', async () => {
    fs.writeFileSync(path.join(liveDir, '0.ts'), 'segment');
    fs.symlinkSync(path.join(root, 'host', 'secret'), to);
    await expect(copy('live/0.ts')).rejects.toThrow(/EEXIST/);
    expect(fs.readFileSync(path.join(root, 'host', 'secret'), 'utf8')).toBe('the service key');
  });
});

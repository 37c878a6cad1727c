import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { BlobInfo, BlobStore, StoredBlobInfo } from '../../domain/ports/blob-store';

const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

/**
 * The embedded blob store: files under a directory. Each blob has a `.meta.json` beside it with its content
 * type. Writes go to a temporary name first and are renamed into place, so a reader never sees half a file.
 */
export class FileBlobStore implements BlobStore {
  constructor(private readonly params: { rootDir: string }) {
    fs.mkdirSync(params.rootDir, { recursive: true });
  }

  async putFile({ key, filePath, contentType }: { key: string; filePath: string; contentType: string }): Promise<BlobInfo> {
    // O_NOFOLLOW: a symlink planted where the output should be is refused, never followed.
    // O_NONBLOCK: a FIFO planted in its place cannot hang the open (it changes nothing for a regular file).
    const source = await fs.promises.open(filePath, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
    try {
      const stat = await source.stat();
      if (!stat.isFile()) throw new Error(`not a regular file: ${filePath}`);
      await this.write(key, contentType, (target) => pipeline(source.createReadStream({ autoClose: false }), target));
      return { bytes: stat.size, contentType };
    } finally {
      await source.close();
    }
  }

  /**
   * A copy shares the source's blocks: blobs are never changed in place (a write makes a new file), so a second
   * name for the same file is a copy that costs no disk, however often the result cache copies a large video.
   */
  async copy({ fromKey, toKey }: { fromKey: string; toKey: string }): Promise<void> {
    const info = await this.stat({ key: fromKey });
    if (!info) throw new Error(`no blob ${fromKey}`);
    const file = this.pathOf(toKey);
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
    const temporary = `${file}.${randomUUID()}.partial`;
    try {
      await fs.promises.link(this.pathOf(fromKey), temporary).catch(async (error: NodeJS.ErrnoException) => {
        // Another filesystem, or one without hard links: a copy of the bytes, cloned where the filesystem can.
        if (!['EXDEV', 'EPERM', 'EMLINK', 'ENOTSUP'].includes(error.code ?? '')) throw error;
        await fs.promises.copyFile(this.pathOf(fromKey), temporary, fs.constants.COPYFILE_EXCL | fs.constants.COPYFILE_FICLONE);
      });
      await fs.promises.writeFile(`${file}.meta.json`, JSON.stringify({ contentType: info.contentType }));
      await fs.promises.rename(temporary, file);
    } catch (error) {
      await fs.promises.rm(temporary, { force: true });
      throw error;
    }
  }

  async putText({ key, text, contentType }: { key: string; text: string; contentType: string }): Promise<void> {
    await this.write(key, contentType, async (target) => {
      target.end(text);
      await new Promise<void>((resolve, reject) => target.on('finish', resolve).on('error', reject));
    });
  }

  async putBytes({ key, bytes, contentType }: { key: string; bytes: Buffer; contentType: string }): Promise<void> {
    await this.write(key, contentType, async (target) => {
      target.end(bytes);
      await new Promise<void>((resolve, reject) => target.on('finish', resolve).on('error', reject));
    });
  }

  async stat({ key }: { key: string }): Promise<StoredBlobInfo | null> {
    const file = this.pathOf(key);
    try {
      const [stat, meta] = await Promise.all([fs.promises.stat(file), fs.promises.readFile(`${file}.meta.json`, 'utf8')]);
      return { bytes: stat.size, contentType: (JSON.parse(meta) as { contentType: string }).contentType, updatedAt: stat.mtime.toISOString() };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async read({ key, start, end }: { key: string; start?: number; end?: number }): Promise<Readable> {
    const stream = fs.createReadStream(this.pathOf(key), { start, end });
    await new Promise<void>((resolve, reject) => stream.once('open', () => resolve()).once('error', reject));
    return stream;
  }

  async signedUrl(): Promise<string | null> {
    return null;
  }

  async signedUploadUrl(): Promise<string | null> {
    return null;
  }

  async delete({ key }: { key: string }): Promise<void> {
    const file = this.pathOf(key);
    await fs.promises.rm(file, { force: true });
    await fs.promises.rm(`${file}.meta.json`, { force: true });
  }

  async deletePrefix({ prefix }: { prefix: string }): Promise<void> {
    const trimmed = prefix.replace(/\/+$/, '');
    await fs.promises.rm(this.pathOf(trimmed), { recursive: true, force: true });
  }

  private pathOf(key: string): string {
    const segments = key.split('/');
    if (segments.length === 0 || !segments.every((s) => SEGMENT.test(s))) throw new Error(`invalid blob key: ${key}`);
    return path.join(this.params.rootDir, ...segments);
  }

  private async write(key: string, contentType: string, fill: (target: fs.WriteStream) => Promise<unknown>): Promise<void> {
    const file = this.pathOf(key);
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
    const temporary = `${file}.${randomUUID()}.partial`;
    try {
      await fill(fs.createWriteStream(temporary, { flags: 'wx' }));
      await fs.promises.writeFile(`${file}.meta.json`, JSON.stringify({ contentType }));
      await fs.promises.rename(temporary, file);
    } catch (error) {
      await fs.promises.rm(temporary, { force: true });
      throw error;
    }
  }
}

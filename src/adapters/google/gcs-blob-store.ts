import fs from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Storage, type Bucket } from '@google-cloud/storage';
import type { BlobInfo, BlobStore, StoredBlobInfo } from '../../domain/ports/blob-store';

export interface GcsBlobStoreOptions {
  bucket: string;
  projectId: string;
  /** The JSON API's base URL, e.g. fake-gcs-server's `http://127.0.0.1:4443`; unset in production. */
  apiEndpoint?: string;
  /**
   * A service account key to sign URLs with. Unset on Cloud Run: the library then signs through IAM signBlob as the
   * runtime service account, which needs roles/iam.serviceAccountTokenCreator on itself. Needed for the emulator.
   */
  credentials?: { client_email: string; private_key: string };
}

/** Rendered files never change once stored: browsers and the API may keep them for an hour. */
const OUTPUT_CACHE_CONTROL = 'private, max-age=3600';
/** Logs are rewritten by each render attempt: always revalidate. */
const TEXT_CACHE_CONTROL = 'private, no-cache';
/** Files from this size on are uploaded in resumable chunks, which survive a dropped connection. */
const RESUMABLE_FROM_BYTES = 8 * 1024 * 1024;

const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

/**
 * The BlobStore on Cloud Storage: one object per key (`jobs/{id}/{scene}/...`, as the domain builds them) in one
 * bucket, with the content type and cache headers set on the object, so signed URLs serve them as they are.
 */
export class GcsBlobStore implements BlobStore {
  private readonly storage: Storage;
  private readonly bucket: Bucket;

  constructor(options: GcsBlobStoreOptions) {
    this.storage = new Storage({
      projectId: options.projectId,
      ...(options.apiEndpoint ? { apiEndpoint: options.apiEndpoint } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
    });
    this.bucket = this.storage.bucket(options.bucket);
  }

  async putFile({ key, filePath, contentType, cacheControl = OUTPUT_CACHE_CONTROL }: Parameters<BlobStore['putFile']>[0]): Promise<BlobInfo> {
    const file = this.bucket.file(checkedKey(key));
    // O_NOFOLLOW refuses a symlink planted where the output should be, O_NONBLOCK keeps a planted FIFO from
    // blocking the open (it changes nothing for a regular file); the checks and the upload use the same
    // descriptor, so the file checked is the file uploaded.
    const source = await fs.promises.open(filePath, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
    try {
      const stat = await source.stat();
      if (!stat.isFile()) throw new Error(`not a regular file: ${filePath}`);
      await pipeline(
        source.createReadStream({ autoClose: false, start: 0 }),
        file.createWriteStream({
          resumable: stat.size >= RESUMABLE_FROM_BYTES,
          metadata: { contentType, cacheControl },
        }),
      );
      return { bytes: stat.size, contentType };
    } finally {
      await source.close();
    }
  }

  async copy({ fromKey, toKey }: { fromKey: string; toKey: string }): Promise<void> {
    // A server-side copy: the bytes never leave Cloud Storage; metadata (type, cache headers) comes along.
    await this.bucket.file(checkedKey(fromKey)).copy(this.bucket.file(checkedKey(toKey)));
  }

  async putText({ key, text, contentType }: { key: string; text: string; contentType: string }): Promise<void> {
    await this.bucket.file(checkedKey(key)).save(Buffer.from(text, 'utf8'), {
      resumable: false,
      metadata: { contentType, cacheControl: TEXT_CACHE_CONTROL },
    });
  }

  async putBytes({ key, bytes, contentType }: { key: string; bytes: Buffer; contentType: string }): Promise<void> {
    await this.bucket.file(checkedKey(key)).save(bytes, {
      resumable: bytes.length >= RESUMABLE_FROM_BYTES,
      metadata: { contentType, cacheControl: OUTPUT_CACHE_CONTROL },
    });
  }

  async stat({ key }: { key: string }): Promise<StoredBlobInfo | null> {
    try {
      const [metadata] = await this.bucket.file(checkedKey(key)).getMetadata();
      return {
        bytes: Number(metadata.size),
        contentType: metadata.contentType ?? 'application/octet-stream',
        updatedAt: new Date(metadata.updated ?? metadata.timeCreated ?? Date.now()).toISOString(),
      };
    } catch (error) {
      if ((error as { code?: unknown }).code === 404) return null;
      throw error;
    }
  }

  async read({ key, start, end }: { key: string; start?: number; end?: number }): Promise<Readable> {
    const stream = this.bucket.file(checkedKey(key)).createReadStream({ start, end });
    // The request starts with the first read: wait for the first bytes (or the end, or a 404) so a missing blob
    // fails here, as it does for the file store, rather than half-way through a response.
    await new Promise<void>((resolve, reject) => {
      const settle = (error?: Error) => {
        stream.off('readable', onReady).off('end', onReady).off('error', settle);
        if (error) reject(error);
        else resolve();
      };
      const onReady = () => settle();
      stream.once('readable', onReady).once('end', onReady).once('error', settle);
    });
    return stream;
  }

  async signedUrl({ key, expiresInSeconds }: { key: string; expiresInSeconds: number }): Promise<string> {
    const [url] = await this.bucket.file(checkedKey(key)).getSignedUrl({
      version: 'v4',
      action: 'read',
      expires: Date.now() + expiresInSeconds * 1000,
    });
    return url;
  }

  async signedUploadUrl({ key, contentType, expiresInSeconds }: { key: string; contentType: string; expiresInSeconds: number }): Promise<string> {
    const [url] = await this.bucket.file(checkedKey(key)).getSignedUrl({
      version: 'v4',
      action: 'write',
      contentType,
      expires: Date.now() + expiresInSeconds * 1000,
    });
    return url;
  }

  async delete({ key }: { key: string }): Promise<void> {
    await this.bucket.file(checkedKey(key)).delete({ ignoreNotFound: true });
  }

  async deletePrefix({ prefix }: { prefix: string }): Promise<void> {
    // An empty or malformed prefix could match the whole bucket.
    if (!prefix.endsWith('/')) throw new Error(`invalid blob prefix: ${prefix}`);
    checkedKey(prefix.slice(0, -1));
    await this.bucket.deleteFiles({ prefix, force: true });
  }
}

/** Keys are paths the service builds: `/`-separated plain segments, never empty, `.`/`..` or hidden. */
function checkedKey(key: string): string {
  if (!key.split('/').every((segment) => SEGMENT.test(segment))) throw new Error(`invalid blob key: ${key}`);
  return key;
}

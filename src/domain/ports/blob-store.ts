import type { Readable } from 'node:stream';

export interface BlobInfo {
  bytes: number;
  contentType: string;
}

/** What `stat` knows of a stored blob. */
export interface StoredBlobInfo extends BlobInfo {
  /** When it was last written. */
  updatedAt: string;
}

/**
 * Where rendered files and logs live. Implementations: a directory on local disk (embedded) and Cloud Storage.
 * Keys are `/`-separated paths that the service builds itself (never from raw user input).
 */
export interface BlobStore {
  /**
   * Copies a local file in. The source must be a regular file; a symlink is refused. `cacheControl` is what the
   * store serves it with where it serves it itself (signed URLs); the default suits a finished output.
   */
  putFile(params: { key: string; filePath: string; contentType: string; cacheControl?: string }): Promise<BlobInfo>;
  /** Copies a stored blob to another key (server-side where the store can). */
  copy(params: { fromKey: string; toKey: string }): Promise<void>;
  putText(params: { key: string; text: string; contentType: string }): Promise<void>;
  /** Stores bytes held in memory (a project file). */
  putBytes(params: { key: string; bytes: Buffer; contentType: string }): Promise<void>;
  stat(params: { key: string }): Promise<StoredBlobInfo | null>;
  /** Streams `[start, end]` (inclusive) or the whole blob. */
  read(params: { key: string; start?: number; end?: number }): Promise<Readable>;
  /**
   * A URL a browser can fetch the blob from for `expiresInSeconds`, or null when the store has none
   * (the embedded store: the API serves the bytes itself).
   */
  signedUrl(params: { key: string; expiresInSeconds: number }): Promise<string | null>;
  /**
   * A URL a client can PUT `contentType` bytes to at `key` for `expiresInSeconds`, or null when the store has none
   * (the embedded store: the API takes the bytes itself).
   */
  signedUploadUrl(params: { key: string; contentType: string; expiresInSeconds: number }): Promise<string | null>;
  /** Removes one blob; a missing one is no error. */
  delete(params: { key: string }): Promise<void>;
  deletePrefix(params: { prefix: string }): Promise<void>;
}

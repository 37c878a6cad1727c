import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Storage } from '@google-cloud/storage';
import { GcsBlobStore } from '../../src/adapters/google/gcs-blob-store';
import { startEmulators, type Emulators } from '../support/emulators';
import { describeBlobStoreContract } from './blob-store-contract';

// The storage client sends its requests through teeny-request (JSON API) and gaxios (resumable uploads), which load
// node-fetch, an ES module, with a dynamic import() that Jest's registry cannot run: Node loads those two instead
// (test/support/load-natively.ts). Everything else is the real library.
jest.mock('teeny-request', () => (require('../support/load-natively') as typeof import('../support/load-natively')).loadNatively('teeny-request'));
jest.mock('gaxios', () => (require('../support/load-natively') as typeof import('../support/load-natively')).loadNatively('gaxios'));

// fake-gcs-server, started once for this file, with a bucket of our own (buckets are global to the emulator).
let emulators: Emulators<'gcs'>;
const projectId = 'blob-test';
const bucket = `renders-${randomUUID().slice(0, 8)}`;

// There is no IAM signBlob offline: sign with a key made here, as a service account's JSON key would be.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const credentials = {
  client_email: `signer@${projectId}.iam.gserviceaccount.com`,
  private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
};

let shared: GcsBlobStore | undefined;
// The library warns once per client that `credentials` is deprecated; one client for the file keeps that quiet.
const sharedStore = () => (shared ??= new GcsBlobStore({ bucket, projectId, apiEndpoint: emulators.gcsEndpoint, credentials }));

beforeAll(async () => {
  emulators = await startEmulators('gcs');
  await new Storage({ projectId, apiEndpoint: emulators.gcsEndpoint }).bucket(bucket).create();
}, 60_000);

afterAll(async () => {
  await emulators?.stop();
});

describeBlobStoreContract('GcsBlobStore (fake-gcs-server)', async () => ({ store: sharedStore(), cleanup: async () => undefined }));

describe('GcsBlobStore', () => {
  let dir: string;
  let prefix: string;
  let raw: Storage;

  beforeAll(() => {
    // A plain client reads the objects' metadata as Cloud Storage stores it.
    raw = new Storage({ projectId, apiEndpoint: emulators.gcsEndpoint });
  });

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gcs-blob-store-'));
    prefix = `jobs/j${randomUUID().replace(/-/g, '')}`;
  });

  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function file(content: Buffer, name = 'out.mp4'): string {
    const filePath = path.join(dir, name);
    fs.writeFileSync(filePath, content);
    return filePath;
  }

  it('stores outputs with their content type and a private one-hour cache header', async () => {
    const key = `${prefix}/Intro/Intro.webm`;
    await sharedStore().putFile({ key, filePath: file(randomBytes(1000)), contentType: 'video/webm' });
    const [metadata] = await raw.bucket(bucket).file(key).getMetadata();
    expect(metadata).toMatchObject({ contentType: 'video/webm', cacheControl: 'private, max-age=3600', size: '1000' });
  });

  it('uploads a large file in resumable chunks, byte for byte', async () => {
    const content = randomBytes(9 * 1024 * 1024);
    const key = `${prefix}/Intro/Intro.mp4`;
    expect(await sharedStore().putFile({ key, filePath: file(content), contentType: 'video/mp4' })).toEqual({ bytes: content.length, contentType: 'video/mp4' });
    const [downloaded] = await raw.bucket(bucket).file(key).download();
    expect(downloaded.equals(content)).toBe(true);
  });

  it('refuses a FIFO without waiting for a writer', async () => {
    const fifo = path.join(dir, 'out.mp4');
    execFileSync('mkfifo', [fifo]);
    await expect(sharedStore().putFile({ key: `${prefix}/Intro/Intro.mp4`, filePath: fifo, contentType: 'video/mp4' })).rejects.toThrow('not a regular file');
  });

  it('signs a V4 URL that serves the bytes, their content type and ranges', async () => {
    const content = randomBytes(5000);
    const key = `${prefix}/Intro/Intro.mp4`;
    await sharedStore().putFile({ key, filePath: file(content), contentType: 'video/mp4' });
    const url = new URL(await sharedStore().signedUrl({ key, expiresInSeconds: 600 }));
    expect(url.searchParams.get('X-Goog-Algorithm')).toBe('GOOG4-RSA-SHA256');
    expect(url.searchParams.get('X-Goog-Expires')).toBe('600');
    expect(url.searchParams.get('X-Goog-Credential')).toMatch(/^signer@blob-test\.iam\.gserviceaccount\.com\//);
    // fake-gcs-server does not check signatures or expiry (scripts/emulators/README.md): this checks the URL's
    // shape and routing, not that Cloud Storage would accept it.
    const whole = await fetch(url);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-type')).toBe('video/mp4');
    expect(Buffer.from(await whole.arrayBuffer()).equals(content)).toBe(true);
    const part = await fetch(url, { headers: { Range: 'bytes=100-199' } });
    expect(part.status).toBe(206);
    expect(Buffer.from(await part.arrayBuffer()).equals(content.subarray(100, 200))).toBe(true);
  });

  it('signs a V4 upload URL that a client PUTs the bytes to, with the content type it was signed for', async () => {
    const content = randomBytes(7000);
    const key = `uploads/${randomUUID().replace(/-/g, '')}/${'a'.repeat(64)}`;
    const url = new URL(await sharedStore().signedUploadUrl({ key, contentType: 'audio/mpeg', expiresInSeconds: 900 }));
    expect(url.searchParams.get('X-Goog-Algorithm')).toBe('GOOG4-RSA-SHA256');
    expect(url.searchParams.get('X-Goog-Expires')).toBe('900');
    expect(url.searchParams.get('X-Goog-SignedHeaders')).toMatch(/content-type/);
    const put = await fetch(url, { method: 'PUT', headers: { 'Content-Type': 'audio/mpeg' }, body: content });
    expect(put.status).toBe(200);
    const [downloaded] = await raw.bucket(bucket).file(key).download();
    expect(downloaded.equals(content)).toBe(true);
  });

  it('refuses keys and prefixes the service never builds, and deletes nothing for them', async () => {
    const key = `${prefix}/Intro/render.log`;
    await sharedStore().putText({ key, text: 'kept', contentType: 'text/plain' });
    for (const bad of ['', '../x', `${prefix}//a`, `${prefix}/.hidden`, `${prefix}/a/`]) {
      await expect(sharedStore().putText({ key: bad, text: 'x', contentType: 'text/plain' })).rejects.toThrow('invalid blob key');
    }
    for (const bad of ['', '/', 'jobs', `${prefix}/../`]) {
      await expect(sharedStore().deletePrefix({ prefix: bad })).rejects.toThrow(/invalid blob (key|prefix)/);
    }
    expect(await sharedStore().stat({ key })).toMatchObject({ bytes: 4, contentType: 'text/plain' });
  });
});

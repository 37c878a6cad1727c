import { generateKeyPairSync } from 'node:crypto';
import path from 'node:path';
import { mintApiKey } from '../../src/auth/api-keys';
import { SqliteApiKeyStore } from '../../src/adapters/local/sqlite-api-key-store';
import type { JobView } from '../../src/contracts/job';
import { fixture, startService, type ServiceHarness } from '../support/service-harness';
import { startTestIssuer, trustingIssuer, type TestIssuer } from '../support/test-issuer';

jest.setTimeout(120_000);

const AUDIENCE = 'https://manim-api.example.run.app';
let issuer: TestIssuer;
let service: ServiceHarness;

beforeAll(async () => {
  issuer = await startTestIssuer();
  service = await startService({
    ...trustingIssuer(issuer, { audience: AUDIENCE, allowlist: 'alice@example.com,@team.example.org' }),
    QUOTA_SUBMITS_PER_MINUTE: '1000',
    // Renders are not what this suite is about: keep the queue from starting them quickly.
    WARM_WORKER: 'false',
  });
});

afterAll(async () => {
  await service.stop();
  await issuer.close();
});

const tokenFor = (email: string, claims: Record<string, unknown> = {}) =>
  issuer.mint({ aud: AUDIENCE, email, email_verified: true, sub: `sub-${email}`, ...claims });

const as = (token: string) => ({ authorization: `Bearer ${token}` });

async function submitAs(token: string): Promise<JobView> {
  const res = await service.request('POST', '/v1/renders', { code: fixture('never_ends.py'), quality: 'low', timeoutSeconds: 5 }, as(token));
  expect(res.status).toBe(202);
  return (await res.json()) as JobView;
}

describe('ID tokens (verify mode)', () => {
  it('accepts a valid token of an allow-listed email or domain', async () => {
    expect((await service.request('GET', '/v1/renders', undefined, as(tokenFor('alice@example.com')))).status).toBe(200);
    expect((await service.request('GET', '/v1/renders', undefined, as(tokenFor('bob@team.example.org')))).status).toBe(200);
  });

  // Tokens are minted inside each test: the issuer starts in beforeAll, after the table is built.
  it.each<[string, () => string | undefined, number]>([
    ['no token', () => undefined, 401],
    ['an expired token', () => tokenFor('alice@example.com', { exp: Math.floor(Date.now() / 1000) - 600 }), 401],
    ['a token for another audience', () => tokenFor('alice@example.com', { aud: 'https://elsewhere.example' }), 401],
    ['a token from another issuer', () => tokenFor('alice@example.com', { iss: 'https://accounts.google.com' }), 401],
    ['a token with an unverified email', () => tokenFor('alice@example.com', { email_verified: false }), 401],
    ['a token of someone not allow-listed', () => tokenFor('mallory@example.net'), 403],
  ])('refuses %s', async (_name, makeToken, status) => {
    const token = makeToken();
    const res = await service.request('GET', '/v1/renders', undefined, token ? as(token) : {});
    expect(res.status).toBe(status);
    expect(await res.json()).toMatchObject({ error: { code: status === 401 ? 'unauthenticated' : 'forbidden' } });
  });

  it('refuses a token whose signature was tampered with or made with another key', async () => {
    const valid = tokenFor('alice@example.com');
    const [header, payload] = valid.split('.');
    const forgedPayload = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), email: 'bob@team.example.org' })).toString('base64url');
    const tampered = `${header}.${forgedPayload}.${valid.split('.')[2]}`;
    expect((await service.request('GET', '/v1/renders', undefined, as(tampered))).status).toBe(401);
    const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const wrongKey = issuer.mint({ aud: AUDIENCE, email: 'alice@example.com', email_verified: true }, { key: otherKey });
    expect((await service.request('GET', '/v1/renders', undefined, as(wrongKey))).status).toBe(401);
  });

  it('keeps health checks open', async () => {
    expect((await service.request('GET', '/healthz')).status).toBe(200);
  });
});

describe('tenant isolation', () => {
  it('answers 404 on every route for another principal\'s job, and lists only your own', async () => {
    const alice = tokenFor('alice@example.com');
    const bob = tokenFor('bob@team.example.org');
    const job = await submitAs(alice);
    for (const [method, route] of [
      ['GET', `/v1/renders/${job.id}`],
      ['POST', `/v1/renders/${job.id}/cancel`],
      ['DELETE', `/v1/renders/${job.id}`],
      ['GET', `/v1/renders/${job.id}/scenes/NeverEnds/video`],
      ['GET', `/v1/renders/${job.id}/scenes/NeverEnds/logs`],
      ['GET', `/v1/renders/${job.id}/scenes/NeverEnds/live.m3u8`],
      ['GET', `/v1/renders/${job.id}/scenes/NeverEnds/live/0.ts`],
    ] as const) {
      const res = await service.request(method, route, undefined, as(bob));
      expect({ route, status: res.status }).toEqual({ route, status: 404 });
    }
    const bobsList = (await (await service.request('GET', '/v1/renders', undefined, as(bob))).json()) as { jobs: JobView[] };
    expect(bobsList.jobs.map((j) => j.id)).not.toContain(job.id);
    const alicesList = (await (await service.request('GET', '/v1/renders', undefined, as(alice))).json()) as { jobs: JobView[] };
    expect(alicesList.jobs.map((j) => j.id)).toContain(job.id);
    // Still there and untouched for its owner.
    expect((await service.request('POST', `/v1/renders/${job.id}/cancel`, undefined, as(alice))).status).toBe(200);
  });
});

describe('API keys', () => {
  it('accepts a key the operator created, as its own principal, and refuses it once revoked', async () => {
    const store = new SqliteApiKeyStore({ filePath: path.join(service.dataDir, 'api-keys.sqlite') });
    try {
      const { key, record } = mintApiKey({ principal: 'nightly-batch', now: new Date() });
      await store.putKey({ record });
      const res = await service.request('POST', '/v1/renders', { code: fixture('tiny.py'), quality: 'low' }, { 'x-api-key': key });
      expect(res.status).toBe(202);
      const job = (await res.json()) as JobView;
      // Another principal cannot see the key's jobs.
      expect((await service.request('GET', `/v1/renders/${job.id}`, undefined, as(tokenFor('alice@example.com')))).status).toBe(404);
      expect((await service.request('GET', `/v1/renders/${job.id}`, undefined, { authorization: `Bearer ${key}` })).status).toBe(200);

      const wrongSecret = key.slice(0, -4) + 'AAAA';
      expect((await service.request('GET', '/v1/renders', undefined, { 'x-api-key': wrongSecret })).status).toBe(401);
      await store.revokeKey({ keyId: record.keyId, now: new Date() });
      expect((await service.request('GET', '/v1/renders', undefined, { 'x-api-key': key })).status).toBe(401);
      await service.request('POST', `/v1/renders/${job.id}/cancel`, undefined, { 'x-api-key': key });
    } finally {
      store.close();
    }
  });
});

describe('a self-hosted service on an address others can reach (AUTH_MODE keys)', () => {
  const noWorker = { HOST: '0.0.0.0', WARM_WORKER: 'false', GLYPH_CACHE: 'false' };

  it('mints a first key and shows it once, refuses callers without a key, and keeps that key across restarts', async () => {
    const shown: string[] = [];
    const write = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      shown.push(String(chunk));
      return true;
    });
    let selfHosted = await startService(noWorker).finally(() => write.mockRestore());
    try {
      const key = /API key for principal admin \(shown once\): (mrk_\S+)/.exec(shown.join(''))?.[1];
      expect(key).toBeDefined();
      const anonymous = await selfHosted.request('GET', '/v1/renders');
      expect(anonymous.status).toBe(401);
      expect(await anonymous.json()).toMatchObject({ error: { code: 'unauthenticated', message: expect.stringMatching(/API key is required/) } });
      expect((await selfHosted.request('GET', '/v1/renders', undefined, { 'x-api-key': key! })).status).toBe(200);

      // A restart finds the key stored and mints no other.
      await selfHosted.stop({ keepData: true });
      shown.length = 0;
      const again = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
        shown.push(String(chunk));
        return true;
      });
      selfHosted = await startService(noWorker, { dataDir: selfHosted.dataDir }).finally(() => again.mockRestore());
      expect(shown.join('')).not.toMatch(/API key for principal/);
      expect((await selfHosted.request('GET', '/v1/renders', undefined, { authorization: `Bearer ${key!}` })).status).toBe(200);
    } finally {
      await selfHosted.stop();
    }
  });

  it('stores a key given at start (INITIAL_API_KEY) and mints none', async () => {
    const { key } = mintApiKey({ principal: 'ignored', now: new Date() });
    const selfHosted = await startService({ ...noWorker, INITIAL_API_KEY: key });
    try {
      expect((await selfHosted.request('GET', '/v1/renders', undefined, { 'x-api-key': key })).status).toBe(200);
      const store = new SqliteApiKeyStore({ filePath: path.join(selfHosted.dataDir, 'api-keys.sqlite') });
      try {
        expect((await store.listKeys()).map((r) => r.principal)).toEqual(['admin']);
      } finally {
        store.close();
      }
    } finally {
      await selfHosted.stop();
    }
  });
});

describe('quotas', () => {
  it('answers 429 with Retry-After over the active scenes quota', async () => {
    const quota = await startService({ QUOTA_ACTIVE_SCENES: '1', WARM_WORKER: 'false' });
    try {
      const first = await quota.submit({ code: fixture('never_ends.py'), timeoutSeconds: 30 });
      const res = await quota.request('POST', '/v1/renders', { code: fixture('tiny.py') });
      expect(res.status).toBe(429);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await res.json()).toMatchObject({ error: { code: 'quota_exceeded', details: { active: 1, limit: 1 } } });
      await quota.request('POST', `/v1/renders/${first.id}/cancel`);
      expect((await quota.request('POST', '/v1/renders', { code: fixture('tiny.py'), quality: 'low' })).status).toBe(202);
    } finally {
      await quota.stop();
    }
  });

  it('answers 429 with Retry-After over the submit rate', async () => {
    const limited = await startService({ QUOTA_SUBMITS_PER_MINUTE: '2', WARM_WORKER: 'false' });
    try {
      const body = { code: fixture('syntax_error.py') };
      expect((await limited.request('POST', '/v1/renders', body)).status).toBe(400);
      expect((await limited.request('POST', '/v1/renders', body)).status).toBe(400);
      const third = await limited.request('POST', '/v1/renders', body);
      expect(third.status).toBe(429);
      expect(Number(third.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    } finally {
      await limited.stop();
    }
  });
});

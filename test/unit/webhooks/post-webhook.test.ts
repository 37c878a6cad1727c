import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { postWebhook, WebhookTargetError, type WebhookTargetPolicy } from '../../../src/webhooks/post-webhook';
import { signWebhook } from '../../../src/webhooks/sign-webhook';

const strict: WebhookTargetPolicy = { requireHttps: false, allowPrivateAddresses: false, timeoutMs: 2000, maxResponseBytes: 1024 };

describe('postWebhook', () => {
  let server: http.Server;
  let url: string;
  let received = 0;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      received += 1;
      req.resume();
      req.on('end', () => res.end('x'.repeat(10_000)));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://localhost:${(server.address() as AddressInfo).port}/hook`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('refuses a host that resolves to a loopback address, without connecting', async () => {
    await expect(postWebhook({ url, body: '{}', headers: {}, policy: strict })).rejects.toBeInstanceOf(WebhookTargetError);
    await expect(postWebhook({ url: 'http://169.254.169.254/computeMetadata/v1/', body: '{}', headers: {}, policy: strict })).rejects.toBeInstanceOf(WebhookTargetError);
    expect(received).toBe(0);
  });

  it('refuses plain http where https is required, and URLs with credentials', async () => {
    await expect(postWebhook({ url, body: '{}', headers: {}, policy: { ...strict, requireHttps: true } })).rejects.toThrow(/https/);
    await expect(postWebhook({ url: 'http://user:pw@example.com/', body: '{}', headers: {}, policy: strict })).rejects.toThrow(/credentials/);
    await expect(postWebhook({ url: 'ftp://example.com/', body: '{}', headers: {}, policy: strict })).rejects.toBeInstanceOf(WebhookTargetError);
  });

  it('delivers where private targets are allowed, reading at most the response cap', async () => {
    const result = await postWebhook({ url, body: '{"a":1}', headers: {}, policy: { ...strict, allowPrivateAddresses: true } });
    expect(result.status).toBe(200);
    expect(received).toBe(1);
  });
});

describe('signWebhook', () => {
  it('signs timestamp.body with HMAC-SHA256, Stripe style', () => {
    expect(signWebhook({ body: '{"a":1}', secret: 'whsec_test', timestampSeconds: 1700000000 })).toBe(
      't=1700000000,v1=' + require('node:crypto').createHmac('sha256', 'whsec_test').update('1700000000.{"a":1}').digest('hex'),
    );
  });
});

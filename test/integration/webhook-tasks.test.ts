import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import { webhookTasksRouter } from '../../src/api/routes/webhook-tasks';
import { IdTokenVerifier } from '../../src/auth/id-token-verifier';
import { TASK_PAYLOAD_VERSION } from '../../src/contracts/task-payload';
import { systemClock } from '../../src/domain/ports/clock';
import { createLogger } from '../../src/logging/create-logger';
import { startTestIssuer, type TestIssuer } from '../support/test-issuer';
import { openWebhookStores, type WebhookStores } from '../support/webhook-stores';

// The ingress's webhook endpoint of gcp mode, where Cloud Tasks' webhook queue delivers (never to a renderer): only
// the invoker account's OIDC token for the ingress's audience gets in, and a delivery posts the signed event once.
const INVOKER = 'tasks-invoker@demo.iam.gserviceaccount.com';
const AUDIENCE = 'https://manim-api.example.run.app';

let issuer: TestIssuer;
let dir: string;
let app: http.Server;
let url: string;
let receiver: http.Server;
let received: string[];
let stores: WebhookStores;

beforeAll(async () => {
  issuer = await startTestIssuer();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'webhook-tasks-'));
  stores = openWebhookStores(dir);
  received = [];
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push(body);
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const verifier = new IdTokenVerifier({ issuers: [issuer.issuer], jwksUrl: issuer.jwksUrl, audience: AUDIENCE, isAllowed: (identity) => identity.email === INVOKER });
  const router = webhookTasksRouter({
    verifier,
    webhooks: {
      ...stores,
      clock: systemClock,
      logger: createLogger({ level: 'silent' }),
      // The receiver is on loopback, which only a local policy lets a webhook reach.
      policy: { requireHttps: false, allowPrivateAddresses: true, timeoutMs: 5000, maxResponseBytes: 1024 },
    },
  });
  app = express().use(router).listen(0, '127.0.0.1');
  await new Promise((resolve) => app.once('listening', resolve));
  url = `http://127.0.0.1:${(app.address() as AddressInfo).port}/tasks/webhooks`;
});

afterAll(async () => {
  await new Promise((resolve) => app.close(resolve));
  await new Promise((resolve) => receiver.close(resolve));
  await issuer.close();
  for (const store of Object.values(stores)) store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const task = (resourceId: string) => ({ type: 'deliver-webhook', version: TASK_PAYLOAD_VERSION, event: 'render.finished', resourceId });
const post = (body: unknown, token?: string) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) }, body: JSON.stringify(body) });
const tokenOf = (claims: Record<string, unknown> = {}) => issuer.mint({ aud: AUDIENCE, email: INVOKER, email_verified: true, ...claims });

async function finishedJob(id: string): Promise<void> {
  const now = new Date().toISOString();
  const webhookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  await stores.jobStore.createJob({
    job: {
      id,
      owner: 'alice',
      code: 'x',
      quality: 'low',
      format: 'mp4',
      timeoutSeconds: 60,
      metadata: {},
      webhookUrl,
      scenes: [{ name: 'S', status: 'cancelled', progress: 0, attempts: 0, updatedAt: now }],
      createdAt: now,
      updatedAt: now,
    },
  });
}

describe('the ingress webhook endpoint (gcp mode)', () => {
  it("refuses a delivery without Cloud Tasks' token, with another account's, or for another audience", async () => {
    expect((await post(task('job1'))).status).toBe(401);
    expect((await post(task('job1'), tokenOf({ email: 'someone@demo.iam.gserviceaccount.com' }))).status).toBe(403);
    expect([401, 403]).toContain((await post(task('job1'), tokenOf({ aud: 'https://manim-renderer.example.run.app' }))).status);
    expect(received).toEqual([]);
  });

  it('refuses a payload that is not a webhook delivery', async () => {
    const res = await post({ type: 'render-scene', version: TASK_PAYLOAD_VERSION, jobId: 'job1', scene: 'S' }, tokenOf());
    expect(res.status).toBe(400);
  });

  it("posts a finished job's event to its webhook once, however often the task is delivered", async () => {
    await finishedJob('jobwebhook1');
    expect((await post(task('jobwebhook1'), tokenOf())).status).toBe(204);
    expect((await post(task('jobwebhook1'), tokenOf())).status).toBe(204);
    expect(received).toHaveLength(1);
    expect(JSON.parse(received[0]!)).toMatchObject({ type: 'render.finished', data: { id: 'jobwebhook1', status: 'cancelled' } });
  });
});

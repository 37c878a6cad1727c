import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net, { type LookupFunction } from 'node:net';
import { isPublicAddress } from './address-policy';

export interface WebhookTargetPolicy {
  /** gcp mode: only https. */
  requireHttps: boolean;
  /** Local development and tests only: allow loopback and private targets. */
  allowPrivateAddresses: boolean;
  timeoutMs: number;
  maxResponseBytes: number;
}

/** The target is one no delivery may reach (scheme, credentials, address): retrying cannot help. */
export class WebhookTargetError extends Error {}

/** The target took longer than the deadline: retried like a refused connection, as the next try may be quicker. */
export class WebhookTimeoutError extends Error {}

/**
 * POSTs a JSON body to a webhook URL, guarded against server-side request forgery: the scheme is checked, and the
 * host is resolved by the connection's own lookup, which refuses non-public addresses. Checking inside the lookup
 * (not before it) means a DNS answer cannot change between the check and the connection. Redirects are not
 * followed; the response is read up to a small cap and the whole exchange has a deadline.
 */
export async function postWebhook(params: {
  url: string;
  body: string;
  headers: Record<string, string>;
  policy: WebhookTargetPolicy;
}): Promise<{ status: number }> {
  const url = new URL(params.url);
  if (url.protocol !== 'https:' && (params.policy.requireHttps || url.protocol !== 'http:')) {
    throw new WebhookTargetError(`webhook URLs must use https${params.policy.requireHttps ? '' : ' or http'}`);
  }
  if (url.username || url.password) throw new WebhookTargetError('webhook URLs may not carry credentials');
  // A literal IP address never goes through the lookup below, so it is checked here.
  const literal = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (net.isIP(literal) && !params.policy.allowPrivateAddresses && !isPublicAddress(literal)) {
    throw new WebhookTargetError(`${literal} is not a public address`);
  }
  const lookup: LookupFunction = (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const list = addresses as dns.LookupAddress[];
      const refused = list.find((a) => !params.policy.allowPrivateAddresses && !isPublicAddress(a.address));
      if (refused || list.length === 0) {
        return callback(new WebhookTargetError(`${hostname} resolves to a non-public address`), '', 0);
      }
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
      callback(null, list[0]!.address, list[0]!.family);
    });
  };
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.request(
      url,
      {
        method: 'POST',
        lookup,
        headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(params.body)), 'user-agent': 'manim-render-webhooks', ...params.headers },
        timeout: params.policy.timeoutMs,
      },
      (response) => {
        let received = 0;
        response.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > params.policy.maxResponseBytes) response.destroy();
        });
        response.on('close', () => resolve({ status: response.statusCode ?? 0 }));
        response.on('error', () => resolve({ status: response.statusCode ?? 0 }));
      },
    );
    const timedOut = () => request.destroy(new WebhookTimeoutError(`no answer within ${params.policy.timeoutMs} ms`));
    const deadline = setTimeout(timedOut, params.policy.timeoutMs);
    request.on('timeout', timedOut);
    request.on('error', (error) => {
      clearTimeout(deadline);
      reject(error);
    });
    request.on('close', () => clearTimeout(deadline));
    request.end(params.body);
  });
}

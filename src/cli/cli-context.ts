import { createRenderClient, type RenderClient, type RenderClientAuth } from '../client';
import type { OptionValues } from './cli-command';
import { gcloudIdTokenSource } from './gcloud-id-token';
import { UsageError } from './usage-error';

/** Where a command writes, and what it reads from its environment (injected so the CLI never touches globals). */
export interface CliIo {
  stdout: { write(text: string): unknown; isTTY?: boolean; columns?: number };
  stderr: { write(text: string): unknown };
  env: NodeJS.ProcessEnv;
  /** Aborted on Ctrl-C. */
  interrupt: AbortSignal;
}

/** What every command gets: the output mode, printing helpers, and a client for the service (made on first use). */
export interface CliContext {
  io: CliIo;
  json: boolean;
  url: string;
  client(): RenderClient;
  /** Human output: a line on stdout (nothing in --json mode). */
  say(line: string): void;
  /** Script output: one JSON document on stdout. */
  printJson(value: unknown): void;
}

export const DEFAULT_URL = 'http://127.0.0.1:8080';

export function createCliContext(io: CliIo, values: OptionValues): CliContext {
  const url = (values.url as string | undefined) ?? io.env.MANIM_RENDER_URL ?? DEFAULT_URL;
  if (!/^https?:\/\/[^/]/.test(url) || !URL.canParse(url)) throw new UsageError(`--url must be an http(s) URL, got '${url}'`);
  if (values['api-key'] !== undefined && values['gcloud-auth']) throw new UsageError('use either --api-key or --gcloud-auth, not both');
  const json = values.json === true;
  let client: RenderClient | undefined;
  const auth = (): RenderClientAuth => {
    if (values['gcloud-auth']) return { type: 'idToken', getToken: gcloudIdTokenSource({ audience: url.replace(/\/+$/, ''), env: io.env }) };
    const key = (values['api-key'] as string | undefined) ?? io.env.MANIM_RENDER_API_KEY;
    return key ? { type: 'apiKey', key } : { type: 'none' };
  };
  return {
    io,
    json,
    url,
    client: () => (client ??= createRenderClient({ baseUrl: url, auth: auth(), userAgent: 'manim-render-cli' })),
    say: (line) => {
      if (!json) io.stdout.write(`${line}\n`);
    },
    printJson: (value) => io.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
  };
}

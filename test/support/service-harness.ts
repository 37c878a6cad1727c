import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { JobView } from '../../src/contracts/job';
import { loadConfig } from '../../src/config/config';
import { createLogger } from '../../src/logging/create-logger';
import { startServer, type RunningServer } from '../../src/server';

const run = promisify(execFile);

export const FIXTURES = path.join(__dirname, '..', 'fixtures', 'scenes');

export function fixture(name: string): string {
  return fs.readFileSync(path.join(FIXTURES, name), 'utf8');
}

/** The real service, in-process, on a free port and a fresh data dir. */
export interface ServiceHarness {
  url: string;
  dataDir: string;
  server: RunningServer;
  request(method: string, route: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
  submit(body: Record<string, unknown>): Promise<JobView>;
  job(id: string): Promise<JobView>;
  waitFor(id: string, done?: (job: JobView) => boolean, timeoutMs?: number): Promise<JobView>;
  /** Downloads a scene's file through the API into a temp file and returns its path. */
  download(job: JobView, scene: string): Promise<string>;
  stop(params?: { graceMs?: number; keepData?: boolean }): Promise<void>;
}

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

/** What `GET /readyz` says of the glyph cache: `building`, `<n> glyphs`, `not built: <why>`. */
export async function glyphCacheDetail(service: ServiceHarness): Promise<string> {
  const report = (await (await service.request('GET', '/readyz')).json()) as { checks: Record<string, { ok: boolean; detail?: string }> };
  expect(report.checks.glyphCache?.ok).toBe(true);
  return report.checks.glyphCache?.detail ?? '';
}

/** Waits until the glyph cache is complete (its directory fills one file at a time; readiness says when it is done). */
export async function waitForGlyphCache(service: ServiceHarness, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const detail = await glyphCacheDetail(service);
    if (/^\d+ glyphs$/.test(detail)) return;
    if (detail.startsWith('not built') || Date.now() > deadline) throw new Error(`the glyph cache was not built: ${detail}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function startService(
  env: Record<string, string> = {},
  options: { dataDir?: string } = {},
): Promise<ServiceHarness> {
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'manim-render-test-'));
  // The result cache is off unless a test is about it: repeated submits of a fixture must really render. So are the
  // glyph cache, whose start-up worker would otherwise run beside every test's first render, and the TeX cache.
  const config = loadConfig({ PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent', RESULT_CACHE: 'false', GLYPH_CACHE: 'false', TEX_CACHE: 'false', ...env });
  const server = await startServer(config, createLogger({ level: config.LOG_LEVEL }));
  const request = (method: string, route: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${route}`, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
  const job = async (id: string): Promise<JobView> => {
    const res = await request('GET', `/v1/renders/${id}`);
    if (res.status !== 200) throw new Error(`GET job ${id}: ${res.status} ${await res.text()}`);
    return (await res.json()) as JobView;
  };
  const harness: ServiceHarness = {
    url: server.url,
    dataDir,
    server,
    request,
    async submit(body) {
      const res = await request('POST', '/v1/renders', body);
      const json = (await res.json()) as JobView;
      if (res.status !== 202) throw new Error(`submit: ${res.status} ${JSON.stringify(json)}`);
      return json;
    },
    job,
    async waitFor(id, done = (j) => TERMINAL.has(j.status), timeoutMs = 90_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const current = await job(id);
        if (done(current)) return current;
        if (Date.now() > deadline) throw new Error(`job ${id} still ${current.status} after ${timeoutMs} ms: ${JSON.stringify(current)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async download(view, scene) {
      const output = view.scenes.find((s) => s.name === scene)?.output;
      if (!output) throw new Error(`scene ${scene} has no output`);
      const res = await fetch(new URL(output.url, server.url));
      if (res.status !== 200) throw new Error(`download ${scene}: ${res.status}`);
      const file = path.join(dataDir, `download-${view.id}-${scene}${path.extname(new URL(output.url, server.url).pathname) || ''}`);
      fs.writeFileSync(file, Buffer.from(await res.arrayBuffer()));
      return file;
    },
    async stop({ graceMs = 0, keepData = false } = {}) {
      await server.close({ graceMs });
      if (!keepData) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return harness;
}

export interface Probe {
  codec: string;
  width: number;
  height: number;
  durationSeconds: number;
  frames?: number;
}

/** ffprobe of a downloaded file: what a test checks a real video against. */
export async function ffprobe(file: string): Promise<Probe> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file]);
  const probe = JSON.parse(stdout) as {
    streams: Array<{ codec_type: string; codec_name: string; width?: number; height?: number; nb_frames?: string }>;
    format: { duration?: string };
  };
  const video = probe.streams.find((s) => s.codec_type === 'video');
  if (!video) throw new Error(`${file} has no video stream`);
  return {
    codec: video.codec_name,
    width: video.width ?? 0,
    height: video.height ?? 0,
    durationSeconds: Number(probe.format.duration ?? 0),
    frames: video.nb_frames ? Number(video.nb_frames) : undefined,
  };
}

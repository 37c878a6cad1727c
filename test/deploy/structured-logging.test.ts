import type { AddressInfo } from 'node:net';
import http from 'node:http';
import express from 'express';
import * as gcpMetadata from 'gcp-metadata';
import { requestLogger } from '../../src/api/middleware/request-logger';
import { createLogger } from '../../src/logging/create-logger';
import type { Logger } from '../../src/logging/logger';
import { traceLogFields } from '../../src/logging/trace-log-fields';
import { captureJsonLines, jsonPayloadOf } from './support/capture-stdout';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const gcpLogger = () => createLogger({ level: 'debug', gcp: { projectId: 'demo-project' } });

describe('the gcp logger', () => {
  it('writes one JSON object per line that Cloud Logging reads as a structured entry', async () => {
    const lines = await captureJsonLines(() => gcpLogger().info('manim-render listening', { role: 'renderer' }));
    const line = lines.find((l) => l.message === 'manim-render listening')!;
    expect(line).toMatchObject({ severity: 'INFO', metadata: { role: 'renderer' } });
    expect(line.timestamp).toEqual({ seconds: expect.any(Number), nanos: expect.any(Number) });
  });

  it("maps the Logger's levels to Cloud Logging severities", async () => {
    const lines = await captureJsonLines(() => {
      const logger = gcpLogger();
      logger.debug('d');
      logger.info('i');
      logger.warn('w');
      logger.error('e');
    });
    const severities = Object.fromEntries(lines.filter((l) => typeof l.message === 'string').map((l) => [l.message, l.severity]));
    expect(severities).toEqual({ d: 'DEBUG', i: 'INFO', w: 'WARNING', e: 'ERROR' });
  });

  it('writes nothing below its level, and nothing at all when silent', async () => {
    const lines = await captureJsonLines(() => {
      createLogger({ level: 'warn', gcp: { projectId: 'demo-project' } }).info('hidden');
      createLogger({ level: 'silent', gcp: { projectId: 'demo-project' } }).error('hidden too');
    });
    expect(lines.filter((l) => typeof l.message === 'string')).toEqual([]);
  });

  it("puts a request's trace in logging.googleapis.com/trace, out of the payload", async () => {
    const lines = await captureJsonLines(() =>
      gcpLogger()
        .child(traceLogFields({ projectId: 'demo-project', traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01` }))
        .warn('heartbeat failed', { error: 'deadline exceeded' }),
    );
    const line = lines.find((l) => l.message === 'heartbeat failed')!;
    expect(line['logging.googleapis.com/trace']).toBe(`projects/demo-project/traces/${TRACE_ID}`);
    expect(line['logging.googleapis.com/spanId']).toBe('00f067aa0ba902b7');
    expect(line['logging.googleapis.com/trace_sampled']).toBe(true);
    expect(JSON.stringify(jsonPayloadOf(line))).not.toContain('logging.googleapis.com');
  });

  it("carries the job id and scene on every line of a render's logger, and its outcome and duration once", async () => {
    const lines = await captureJsonLines(() => {
      // The shape run-render-task.ts logs with: a child per task, a child per attempt's outcome.
      const render = gcpLogger().child({ jobId: 'job-1', scene: 'TinyCircle', retryCount: 1 });
      render.warn('heartbeat failed', { error: 'unavailable' });
      render.child({ attempt: 2, renderSeconds: 3.25 }).error('render outcome', { outcome: 'failed', code: 'internal_error' });
    });
    const renderLines = lines.filter((l) => typeof l.message === 'string');
    for (const line of renderLines) expect(line.metadata).toMatchObject({ jobId: 'job-1', scene: 'TinyCircle' });
    const outcomes = renderLines.filter((l) => l.message === 'render outcome');
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({
      severity: 'ERROR',
      metadata: { outcome: 'failed', code: 'internal_error', attempt: 2, renderSeconds: 3.25 },
    });
  });

  it('never looks for Google credentials or the metadata server (it only writes to stdout)', async () => {
    // Stubbed, not only watched: were the transport to look, the test must not reach the network either.
    const probe = jest.spyOn(gcpMetadata, 'isAvailable').mockResolvedValue(false);
    try {
      await captureJsonLines(() => gcpLogger().info('hello'));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(probe).not.toHaveBeenCalled();
    } finally {
      probe.mockRestore();
    }
  });
});

describe('traceLogFields', () => {
  const projectId = 'demo-project';

  it('reads a W3C traceparent', () => {
    expect(traceLogFields({ projectId, traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-00` })).toEqual({
      'logging.googleapis.com/trace': `projects/demo-project/traces/${TRACE_ID}`,
      'logging.googleapis.com/spanId': '00f067aa0ba902b7',
      'logging.googleapis.com/trace_sampled': false,
    });
  });

  it('reads X-Cloud-Trace-Context, turning its decimal span id into hex', () => {
    expect(traceLogFields({ projectId, cloudTraceContext: `${TRACE_ID}/1311768467294899695;o=1` })).toEqual({
      'logging.googleapis.com/trace': `projects/demo-project/traces/${TRACE_ID}`,
      'logging.googleapis.com/spanId': '1234567890abcdef',
      'logging.googleapis.com/trace_sampled': true,
    });
    expect(traceLogFields({ projectId, cloudTraceContext: TRACE_ID })).toEqual({
      'logging.googleapis.com/trace': `projects/demo-project/traces/${TRACE_ID}`,
    });
  });

  it('prefers traceparent when both headers are there', () => {
    const other = 'a'.repeat(32);
    const fields = traceLogFields({ projectId, traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01`, cloudTraceContext: `${other}/1;o=1` });
    expect(fields['logging.googleapis.com/trace']).toBe(`projects/demo-project/traces/${TRACE_ID}`);
  });

  it.each([
    ['an all-zero trace id', { traceparent: `00-${'0'.repeat(32)}-00f067aa0ba902b7-01` }],
    ['a version-00 traceparent with extra parts', { traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01-extra` }],
    ['a short trace id', { cloudTraceContext: 'abc123/1;o=1' }],
    ['garbage', { traceparent: 'not a trace', cloudTraceContext: '../../etc/passwd' }],
    ['no header', {}],
  ])('gives no fields for %s', (_name, headers) => {
    expect(traceLogFields({ projectId, ...headers })).toEqual({});
  });
});

describe('requestLogger', () => {
  /** Serves one route through the middleware on loopback and returns what the handler logged through. */
  async function logThroughRequest(logger: Logger, projectId: string | undefined, headers: Record<string, string>) {
    const app = express();
    app.use(requestLogger({ logger, projectId }));
    app.get('/work', (_req, res) => {
      res.locals.logger!.info('handled', { step: 'work' });
      res.status(204).end();
    });
    const server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const response = await fetch(`http://127.0.0.1:${port}/work`, { headers });
      expect(response.status).toBe(204);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  }

  it("gives each request a logger that writes the request's trace", async () => {
    const logger = gcpLogger();
    const lines = await captureJsonLines(() =>
      logThroughRequest(logger, 'demo-project', { 'X-Cloud-Trace-Context': `${TRACE_ID}/1;o=1` }),
    );
    const line = lines.find((l) => l.message === 'handled')!;
    expect(line['logging.googleapis.com/trace']).toBe(`projects/demo-project/traces/${TRACE_ID}`);
    expect(line.metadata).toEqual({ step: 'work' });
  });

  it('passes the logger through unchanged without a project (local mode) or without a trace header', async () => {
    const children: Record<string, unknown>[] = [];
    const fake: Logger = {
      debug: () => undefined,
      info: () => undefined,
      warn: () => undefined,
      error: () => undefined,
      child: (fields) => {
        children.push(fields);
        return fake;
      },
    };
    await logThroughRequest(fake, undefined, { traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01` });
    await logThroughRequest(fake, 'demo-project', {});
    expect(children).toEqual([]);
  });
});

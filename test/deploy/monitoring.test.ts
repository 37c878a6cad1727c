import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../../src/logging/create-logger';
import { captureJsonLines, jsonPayloadOf } from './support/capture-stdout';
import { PROJECT, ROOT, callsStartingWith, flag, isMutation, runScript } from './support/run-script';

const MONITORING = path.join(ROOT, 'monitoring');

/** Cloud Monitoring JSON documents, read as they are. */
type Json = any;

function readJsonFiles(dir: string): { file: string; json: Json }[] {
  return fs
    .readdirSync(path.join(MONITORING, dir))
    .filter((name) => name.endsWith('.json'))
    .map((name) => ({ file: name, json: JSON.parse(fs.readFileSync(path.join(MONITORING, dir, name), 'utf8')) }));
}

const logMetrics = readJsonFiles('log-metrics');
const alerts = readJsonFiles('alerts');
const dashboards = readJsonFiles('dashboards');

/**
 * The Cloud Monitoring metric types these files may use (cloud.google.com/monitoring/api/metrics_gcp, Cloud Run,
 * Cloud Tasks and uptime checks), each with the metric labels it has.
 */
const BUILT_IN_METRICS: Record<string, string[]> = {
  'run.googleapis.com/request_count': ['response_code', 'response_code_class', 'route'],
  'run.googleapis.com/request_latencies': ['response_code', 'response_code_class', 'route'],
  'run.googleapis.com/container/instance_count': ['state'],
  'run.googleapis.com/container/cpu/utilizations': ['state'],
  'run.googleapis.com/container/memory/utilizations': ['state'],
  'cloudtasks.googleapis.com/queue/depth': [],
  'cloudtasks.googleapis.com/queue/task_attempt_count': ['response_code'],
  'cloudtasks.googleapis.com/queue/task_attempt_delays': [],
  'monitoring.googleapis.com/uptime_check/check_passed': ['check_id', 'checker_location', 'checked_resource_id'],
};
/** Monitored resource types and their labels. */
const RESOURCE_LABELS: Record<string, string[]> = {
  cloud_run_revision: ['project_id', 'service_name', 'revision_name', 'configuration_name', 'location'],
  cloud_tasks_queue: ['project_id', 'queue_id', 'target_type', 'location'],
  uptime_url: ['project_id', 'host'],
};

/** Metric type -> its labels, for the built-in metrics and the log-based ones the files here define. */
const KNOWN_METRICS: Record<string, string[]> = {
  ...BUILT_IN_METRICS,
  ...Object.fromEntries(
    logMetrics.map(({ json }) => [
      `logging.googleapis.com/user/${json.name}`,
      (json.metricDescriptor.labels ?? []).map((label: Json) => label.key),
    ]),
  ),
};

interface MetricQuery {
  where: string;
  filter: string;
  groupBy: string[];
}

function queriesOf(): MetricQuery[] {
  const queries: MetricQuery[] = [];
  for (const { file, json } of dashboards) {
    for (const tile of json.mosaicLayout.tiles) {
      for (const dataSet of tile.widget.xyChart?.dataSets ?? []) {
        const { filter, aggregation } = dataSet.timeSeriesQuery.timeSeriesFilter;
        queries.push({ where: `${file}: ${tile.widget.title}`, filter, groupBy: aggregation?.groupByFields ?? [] });
      }
    }
  }
  for (const { file, json } of alerts) {
    for (const condition of json.conditions) {
      const threshold = condition.conditionThreshold;
      const groupBy = (aggregations: Json[] = []) => aggregations.flatMap((a) => a.groupByFields ?? []);
      queries.push({ where: `${file}: ${condition.displayName}`, filter: threshold.filter, groupBy: groupBy(threshold.aggregations) });
      if (threshold.denominatorFilter) {
        queries.push({ where: `${file}: ${condition.displayName} (denominator)`, filter: threshold.denominatorFilter, groupBy: groupBy(threshold.denominatorAggregations) });
      }
    }
  }
  return queries;
}

function only(pattern: RegExp, text: string): string {
  const matches = [...text.matchAll(pattern)];
  expect(matches).toHaveLength(1);
  return matches[0]![1]!;
}

describe('monitoring files', () => {
  it('exist and parse: log-based metrics, a dashboard and the alert policies', () => {
    expect(logMetrics.map(({ file }) => file).sort()).toEqual([
      'manim_render_cost_usd.json',
      'manim_render_cpu_seconds.json',
      'manim_render_outcomes.json',
      'manim_render_seconds.json',
    ]);
    expect(dashboards).toHaveLength(1);
    expect(alerts.map(({ file }) => file).sort()).toEqual([
      'api-error-ratio.json',
      'api-uptime.json',
      'queue-backlog.json',
      'render-internal-failures.json',
      'render-latency-p95.json',
    ]);
  });

  it('query only metrics that exist, by labels those metrics and their resources have', () => {
    const queries = queriesOf();
    expect(queries.length).toBeGreaterThan(10);
    for (const query of queries) {
      const metric = only(/metric\.type="([^"]+)"/g, query.filter);
      const resource = only(/resource\.type="([^"]+)"/g, query.filter);
      expect({ where: query.where, metric, known: metric in KNOWN_METRICS }).toEqual({ where: query.where, metric, known: true });
      expect(Object.keys(RESOURCE_LABELS)).toContain(resource);
      const text = `${query.filter} ${query.groupBy.join(' ')}`;
      for (const [, label] of text.matchAll(/metric\.labels?\.(\w+)/g)) expect(KNOWN_METRICS[metric]).toContain(label);
      for (const [, label] of text.matchAll(/resource\.labels?\.(\w+)/g)) expect(RESOURCE_LABELS[resource]).toContain(label);
    }
  });

  it('chart request rate and latency, instances, CPU and memory, the queue, render outcomes, durations and costs', () => {
    const charted = new Set(queriesOf().filter((q) => q.where.startsWith('manim-render.json')).map((q) => only(/metric\.type="([^"]+)"/g, q.filter)));
    for (const metric of [
      'run.googleapis.com/request_count',
      'run.googleapis.com/request_latencies',
      'run.googleapis.com/container/instance_count',
      'run.googleapis.com/container/cpu/utilizations',
      'run.googleapis.com/container/memory/utilizations',
      'cloudtasks.googleapis.com/queue/depth',
      'cloudtasks.googleapis.com/queue/task_attempt_count',
      'logging.googleapis.com/user/manim_render_outcomes',
      'logging.googleapis.com/user/manim_render_seconds',
      'logging.googleapis.com/user/manim_render_cost_usd',
      'logging.googleapis.com/user/manim_render_cpu_seconds',
    ]) {
      expect(charted).toContain(metric);
    }
  });

  it('lay the dashboard out on the grid without overlapping tiles', () => {
    const { columns, tiles } = dashboards[0]!.json.mosaicLayout;
    const cells = new Set<string>();
    for (const tile of tiles) {
      expect(tile.xPos + tile.width).toBeLessThanOrEqual(columns);
      for (let x = tile.xPos; x < tile.xPos + tile.width; x++) {
        for (let y = tile.yPos; y < tile.yPos + tile.height; y++) {
          expect(cells.has(`${x},${y}`)).toBe(false);
          cells.add(`${x},${y}`);
        }
      }
    }
  });

  it('document every alert in monitoring/README.md under its own name', () => {
    const readme = fs.readFileSync(path.join(MONITORING, 'README.md'), 'utf8');
    const headings = [...readme.matchAll(/^### (.+)$/gm)].map((m) => m[1]!.trim());
    for (const { json } of alerts) {
      expect(headings).toContain(json.displayName);
      expect(json.documentation.content).toContain(json.displayName);
    }
  });

  it('give every alert a condition that fires only after a sustained or counted breach', () => {
    for (const { json } of alerts) {
      expect(json.combiner).toBe('OR');
      for (const condition of json.conditions) {
        expect(condition.conditionThreshold.comparison).toMatch(/^COMPARISON_(GT|LT)$/);
        expect(condition.conditionThreshold.aggregations.length).toBeGreaterThan(0);
      }
    }
  });
});

describe('log-based metrics', () => {
  // The renderer's own logger, as it runs on Cloud Run: the lines it writes are what these metrics read.
  async function renderOutcomeLine(fields: Record<string, unknown>): Promise<Record<string, unknown>> {
    const lines = await captureJsonLines(() => {
      const logger = createLogger({ level: 'info', gcp: { projectId: 'demo-project' } });
      // The shape run-render-task.ts logs with: a child per task, a child per attempt, one outcome line.
      logger
        .child({ jobId: '0mwqh7a6h00008ctdm9qqnmcx', scene: 'TinyCircle', retryCount: 0 })
        .child({ attempt: 1, renderSeconds: 2.5, animations: 3 })
        .info('render outcome', fields);
    });
    return jsonPayloadOf(lines.find((line) => line.message === 'render outcome')!);
  }

  function extract(payload: Record<string, unknown>, extractor: string): unknown {
    const field = /^EXTRACT\(jsonPayload\.([\w.]+)\)$/.exec(extractor)![1]!;
    return field.split('.').reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], payload);
  }

  /** A `render cost` line, as costs/attempt-usage.ts logs it on a part's logger. */
  async function renderCostLine(): Promise<Record<string, unknown>> {
    const lines = await captureJsonLines(() => {
      const logger = createLogger({ level: 'info', gcp: { projectId: 'demo-project' } });
      const usage = { cpuSeconds: 9.5, wallSeconds: 5.1, peakMemoryBytes: 640 << 20, instanceSeconds: 5.3, estimatedUsd: 0.0003074, pricedAt: '2026-12-06' };
      logger.child({ jobId: '0mwqh7a6h00008ctdm9qqnmcx', scene: 'Long', part: 1 }).info('render cost', { kind: 'part', quality: 'high', ...usage });
    });
    return jsonPayloadOf(lines.find((line) => line.message === 'render cost')!);
  }

  it('select the render outcome or render cost lines by their message', async () => {
    const outcome = await renderOutcomeLine({ outcome: 'succeeded' });
    const cost = await renderCostLine();
    for (const { json } of logMetrics) {
      expect(json.filter).toContain('resource.labels.service_name="manim-renderer"');
      const message = json.name.startsWith('manim_render_cost') || json.name === 'manim_render_cpu_seconds' ? cost.message : outcome.message;
      expect(json.filter).toContain(`jsonPayload.message="${message}"`);
    }
  });

  it('read the cost and CPU of each render, part or join, by kind and quality', async () => {
    const payload = await renderCostLine();
    const cost = logMetrics.find(({ json }) => json.name === 'manim_render_cost_usd')!.json;
    const cpu = logMetrics.find(({ json }) => json.name === 'manim_render_cpu_seconds')!.json;
    expect(extract(payload, cost.valueExtractor)).toBe(0.0003074);
    expect(extract(payload, cpu.valueExtractor)).toBe(9.5);
    for (const metric of [cost, cpu]) {
      expect(extract(payload, metric.labelExtractors.kind)).toBe('part');
      expect(extract(payload, metric.labelExtractors.quality)).toBe('high');
    }
    // From a cent's ten-thousandth to more than an hour of a renderer; from a tenth of a second to two CPUs' hour.
    const bounds = (metric: Json) => metric.bucketOptions.exponentialBuckets as { numFiniteBuckets: number; growthFactor: number; scale: number };
    expect(bounds(cost).scale).toBeLessThanOrEqual(0.000001);
    expect(bounds(cost).scale * bounds(cost).growthFactor ** bounds(cost).numFiniteBuckets).toBeGreaterThan(3600 * 0.000058);
    expect(bounds(cpu).scale * bounds(cpu).growthFactor ** bounds(cpu).numFiniteBuckets).toBeGreaterThanOrEqual(2 * 3600);
  });

  it('read their labels and values from fields the logger writes', async () => {
    const payload = await renderOutcomeLine({ outcome: 'failed', code: 'internal_error' });
    const outcomes = logMetrics.find(({ json }) => json.name === 'manim_render_outcomes')!.json;
    expect(extract(payload, outcomes.labelExtractors.outcome)).toBe('failed');
    expect(extract(payload, outcomes.labelExtractors.code)).toBe('internal_error');
    const seconds = logMetrics.find(({ json }) => json.name === 'manim_render_seconds')!.json;
    expect(extract(payload, seconds.valueExtractor)).toBe(2.5);
    expect(extract(payload, seconds.labelExtractors.outcome)).toBe('failed');
    expect(seconds.filter).toContain('jsonPayload.metadata.renderSeconds>=0');
  });

  it('declare every label they extract', () => {
    for (const { json } of logMetrics) {
      const declared = (json.metricDescriptor.labels ?? []).map((label: Json) => label.key).sort();
      expect(Object.keys(json.labelExtractors ?? {}).sort()).toEqual(declared);
      expect(json.metricDescriptor.metricKind).toBe('DELTA');
    }
  });

  it('bucket render durations up to the longest render the service allows (3600 s)', () => {
    const { numFiniteBuckets, growthFactor, scale } = logMetrics.find(({ json }) => json.name === 'manim_render_seconds')!.json.bucketOptions.exponentialBuckets;
    expect(scale * growthFactor ** numFiniteBuckets).toBeGreaterThanOrEqual(3600);
  });
});

describe('monitoring/apply.sh', () => {
  function apply(state: 'absent' | 'present', args: string[] = []) {
    const renderDir = fs.mkdtempSync(path.join(os.tmpdir(), 'manim-monitoring-'));
    try {
      const run = runScript('monitoring/apply.sh', [...PROJECT, '--render-dir', renderDir, ...args], {
        state,
        // manim-api is deployed; the monitoring objects are what differs between the states.
        existing: ['run.services'],
      });
      const rendered = Object.fromEntries(
        fs.readdirSync(renderDir).map((name) => [name, JSON.parse(fs.readFileSync(path.join(renderDir, name), 'utf8'))]),
      );
      return { ...run, rendered };
    } finally {
      fs.rmSync(renderDir, { recursive: true, force: true });
    }
  }

  it('creates the metrics, then the uptime check, the dashboard and the alerts that use them', () => {
    const run = apply('absent', ['--notification-channels', 'projects/demo-project/notificationChannels/42']);
    expect(run.stderr).not.toMatch(/error/i);
    expect(run.status).toBe(0);
    const created = run.calls.filter(isMutation).map((call) => call.slice(0, 3).join(' '));
    expect(created).toEqual([
      ...logMetrics.map(() => 'logging metrics create'),
      'monitoring uptime create',
      'monitoring dashboards create',
      ...alerts.map(() => 'monitoring policies create'),
    ]);
    const [uptime] = callsStartingWith(run.calls, 'monitoring', 'uptime', 'create');
    expect(uptime).toEqual(expect.arrayContaining(['--path=/readyz', '--protocol=https', '--service-agent-auth=oidc-token']));
    expect(flag(uptime!, 'resource-labels')).toBe('host=manim-api-123456789012.europe-west1.run.app,project_id=demo-project');
  });

  it('fills in the uptime check id, the queue and the notification channels', () => {
    const run = apply('absent', ['--notification-channels', 'projects/demo-project/notificationChannels/42']);
    const uptime = run.rendered['alert-api-uptime.json'];
    expect(uptime.conditions[0].conditionThreshold.filter).toContain('metric.label.check_id="manim-api-readyz-a1b2c3"');
    expect(run.rendered['alert-queue-backlog.json'].conditions[0].conditionThreshold.filter).toContain('queue_id="manim-render"');
    for (const [name, policy] of Object.entries(run.rendered)) {
      if (name.startsWith('alert-')) expect(policy.notificationChannels).toEqual(['projects/demo-project/notificationChannels/42']);
    }
    expect(JSON.stringify(run.rendered)).not.toMatch(/\$\{[A-Z]/);
  });

  it('updates everything in place on a second run and creates nothing', () => {
    const run = apply('present');
    expect(run.status).toBe(0);
    expect(run.calls.filter((call) => call.includes('create'))).toEqual([]);
    expect(callsStartingWith(run.calls, 'monitoring', 'policies', 'update')).toHaveLength(alerts.length);
    expect(run.rendered['dashboard-manim-render.json'].etag).toBe('fake-etag');
  });

  it('with --dry-run changes nothing', () => {
    const run = apply('absent', ['--dry-run']);
    expect(run.status).toBe(0);
    expect(run.calls.filter(isMutation)).toEqual([]);
    expect(run.printed.length).toBeGreaterThan(alerts.length);
  });

  it('refuses to run before manim-api is deployed', () => {
    const run = runScript('monitoring/apply.sh', PROJECT, { state: 'absent' });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/run \.\/deploy\.sh first/);
    expect(run.calls.filter(isMutation)).toEqual([]);
  });

  it('prints its usage with --help', () => {
    const run = runScript('monitoring/apply.sh', ['--help'], { state: 'absent' });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/Usage: monitoring\/apply\.sh/);
  });
});

import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ROOT } from './support/run-script';

// service.yaml as written (placeholders unfilled); deploy.test.ts checks the filled-in copies.

/**
 * Annotations Cloud Run reads, from its YAML reference (cloud.google.com/run/docs/reference/yaml/v1), by where
 * they go. An annotation outside these lists is ignored by Cloud Run at best: a typo or an invention.
 */
const SERVICE_ANNOTATIONS = new Set([
  'run.googleapis.com/launch-stage',
  'run.googleapis.com/description',
  'run.googleapis.com/ingress',
  'run.googleapis.com/binary-authorization',
  'run.googleapis.com/binary-authorization-breakglass',
  'run.googleapis.com/custom-audiences',
  'run.googleapis.com/minScale',
  'run.googleapis.com/maxScale',
  'run.googleapis.com/invoker-iam-disabled',
  'run.googleapis.com/iap-enabled',
  'run.googleapis.com/scalingMode',
  'run.googleapis.com/manualInstanceCount',
  'run.googleapis.com/default-url-disabled',
]);
const REVISION_ANNOTATIONS = new Set([
  'autoscaling.knative.dev/minScale',
  'autoscaling.knative.dev/maxScale',
  'run.googleapis.com/cpu-throttling',
  'run.googleapis.com/startup-cpu-boost',
  'run.googleapis.com/sessionAffinity',
  'run.googleapis.com/cloudsql-instances',
  'run.googleapis.com/execution-environment',
  'run.googleapis.com/vpc-access-connector',
  'run.googleapis.com/vpc-access-egress',
  'run.googleapis.com/network-interfaces',
  'run.googleapis.com/encryption-key',
  'run.googleapis.com/encryption-key-shutdown-hours',
  'run.googleapis.com/post-key-revocation-action-type',
  'run.googleapis.com/container-dependencies',
  'run.googleapis.com/secrets',
]);

const text = fs.readFileSync(path.join(ROOT, 'service.yaml'), 'utf8');
const documents = parseAllDocuments(text);
const services = documents.map((document) => document.toJS() as any);
const byName = (name: string) => services.find((service) => service.metadata?.name === name);
const renderer = byName('manim-renderer');
const api = byName('manim-api');

function container(service: any) {
  return service.spec.template.spec.containers[0];
}

describe('service.yaml', () => {
  it('parses as two Knative services, the renderer first', () => {
    expect(documents.every((document) => document.errors.length === 0)).toBe(true);
    expect(services.map((service) => [service.apiVersion, service.kind, service.metadata.name])).toEqual([
      ['serving.knative.dev/v1', 'Service', 'manim-renderer'],
      ['serving.knative.dev/v1', 'Service', 'manim-api'],
    ]);
  });

  it.each(['manim-renderer', 'manim-api'])('%s uses only real Cloud Run annotations, each where Cloud Run reads it', (name) => {
    const service = byName(name);
    for (const key of Object.keys(service.metadata.annotations ?? {})) expect(SERVICE_ANNOTATIONS).toContain(key);
    for (const key of Object.keys(service.spec.template.metadata.annotations ?? {})) expect(REVISION_ANNOTATIONS).toContain(key);
  });

  it.each(['manim-renderer', 'manim-api'])('%s keeps the invoker IAM check on', (name) => {
    expect(byName(name).metadata.annotations['run.googleapis.com/invoker-iam-disabled']).toBe('false');
  });

  it('makes the renderer internal, one render per instance, 2 CPU and 4 GiB, CPU always on, boosted start, gen2', () => {
    expect(renderer.metadata.annotations['run.googleapis.com/ingress']).toBe('internal');
    expect(renderer.spec.template.spec.containerConcurrency).toBe(1);
    expect(container(renderer).resources.limits).toEqual({ cpu: '2', memory: '4Gi' });
    expect(renderer.spec.template.metadata.annotations).toMatchObject({
      'run.googleapis.com/cpu-throttling': 'false',
      'run.googleapis.com/startup-cpu-boost': 'true',
      'run.googleapis.com/execution-environment': 'gen2',
      // The same setting as the queue's max concurrent dispatches (deploy.sh).
      'autoscaling.knative.dev/maxScale': '${RENDER_MAX_INSTANCES}',
    });
    expect(renderer.spec.template.spec.timeoutSeconds).toBe('${RENDERER_TIMEOUT_SECONDS}');
  });

  it('makes the ingress public, with its own concurrency and limits', () => {
    expect(api.metadata.annotations['run.googleapis.com/ingress']).toBe('all');
    expect(api.spec.template.spec.containerConcurrency).toBe('${API_CONCURRENCY}');
    expect(container(api).resources.limits).toEqual({ cpu: '1', memory: '1Gi' });
  });

  it('runs each service as its own service account, in its own role, from the same image', () => {
    expect(renderer.spec.template.spec.serviceAccountName).toBe('${RENDERER_SA}');
    expect(api.spec.template.spec.serviceAccountName).toBe('${API_SA}');
    const role = (service: any) => container(service).env.find((e: any) => e.name === 'ROLE').value;
    expect([role(renderer), role(api)]).toEqual(['renderer', 'ingress']);
    expect(container(renderer).image).toBe('${IMAGE}');
    expect(container(api).image).toBe('${IMAGE}');
  });

  it.each(['manim-renderer', 'manim-api'])('%s is started on /readyz and kept alive on /healthz', (name) => {
    const c = container(byName(name));
    expect(c.startupProbe.httpGet.path).toBe('/readyz');
    expect(c.livenessProbe.httpGet.path).toBe('/healthz');
    // Cloud Run: a probe's timeout may not exceed its period, and a startup probe gives up after 240 s.
    for (const probe of [c.startupProbe, c.livenessProbe]) expect(probe.timeoutSeconds).toBeLessThanOrEqual(probe.periodSeconds);
    expect(c.startupProbe.periodSeconds * c.startupProbe.failureThreshold).toBeLessThanOrEqual(240);
  });

  it.each([
    ['manim-renderer', 'RENDERER'],
    ['manim-api', 'API'],
  ])('%s names its revision and takes its traffic from deploy.sh (none for a new revision until its canary)', (name, prefix) => {
    expect(byName(name).spec.template.metadata.name).toBe(`\${${prefix}_REVISION}`);
    expect(byName(name).spec.traffic).toBe(`\${${prefix}_TRAFFIC}`);
  });

  it('gives every environment value as a string, as the Knative API requires', () => {
    for (const service of services) {
      for (const variable of container(service).env) expect(typeof variable.value).toBe('string');
    }
  });

  it('sets no PORT (Cloud Run sets it) and no credentials', () => {
    for (const service of services) {
      const names = container(service).env.map((e: any) => e.name);
      expect(names).not.toContain('PORT');
      expect(names.filter((n: string) => /KEY|SECRET|PASSWORD|TOKEN|CREDENTIALS/.test(n))).toEqual([]);
    }
  });

  it('uses only placeholders deploy.sh fills', () => {
    const script = fs.readFileSync(path.join(ROOT, 'deploy.sh'), 'utf8');
    const list = /readonly PLACEHOLDERS=\(([^)]*)\)/.exec(script)![1]!.split(/\s+/).filter(Boolean);
    const used = new Set([...text.matchAll(/\$\{([A-Z][A-Z0-9_]*)\}/g)].map((m) => m[1]!));
    expect([...used].filter((name) => !list.includes(name))).toEqual([]);
  });
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/config';
import {
  AFTER_SETUP,
  PROJECT,
  SA,
  callsStartingWith,
  flag,
  indexOfCall,
  isMutation,
  runScript,
  type ScriptRun,
} from './support/run-script';

// deploy.sh runs against a recording stand-in for gcloud (test/deploy/fixtures/gcloud); the service files it
// fills in are kept (--render-dir) and read back, so the tests see exactly what `services replace` would apply.
const RENDERER_URL = 'https://manim-renderer-123456789012.europe-west1.run.app';
const API_URL = 'https://manim-api-123456789012.europe-west1.run.app';

interface Deployed extends ScriptRun {
  renderer: KnativeService;
  api: KnativeService;
}

interface KnativeService {
  metadata: { name: string; annotations: Record<string, string> };
  spec: {
    traffic: Traffic[];
    template: {
      metadata: { name: string; annotations: Record<string, string> };
      spec: {
        containerConcurrency: number;
        timeoutSeconds: number;
        serviceAccountName: string;
        containers: { image: string; env: { name: string; value: string }[]; resources: { limits: Record<string, string> } }[];
      };
    };
  };
}

interface Traffic {
  revisionName: string;
  percent: number;
  tag?: string;
}

function deploy(options: { state?: 'absent' | 'present' | 'loggedout'; args?: string[]; env?: Record<string, string>; existing?: string[] } = {}): Deployed {
  const renderDir = fs.mkdtempSync(path.join(os.tmpdir(), 'manim-deploy-'));
  try {
    const run = runScript('deploy.sh', [...PROJECT, '--tag', 'test-tag', '--render-dir', renderDir, ...(options.args ?? [])], {
      state: options.state ?? 'absent',
      existing: options.existing ?? AFTER_SETUP,
      env: options.env,
    });
    const read = (name: string) => {
      const file = path.join(renderDir, `${name}.yaml`);
      return (fs.existsSync(file) ? parse(fs.readFileSync(file, 'utf8')) : undefined) as KnativeService;
    };
    return { ...run, renderer: read('manim-renderer'), api: read('manim-api') };
  } finally {
    fs.rmSync(renderDir, { recursive: true, force: true });
  }
}

/** What a dry run prints, each command by its first words (the build's own command names a tag). */
const planOf = (run: Deployed) => run.printed.map((line) => line.split(' ').slice(0, line.startsWith('gcloud builds submit') ? 3 : 4).join(' '));
const DRY_RUN_PLAN = [
  'gcloud builds submit',
  'gcloud run services replace',
  'gcloud run services add-iam-policy-binding',
  'gcloud tasks queues update',
  'gcloud run services replace',
  'gcloud run services add-iam-policy-binding',
  'gcloud run services add-iam-policy-binding',
  'gcloud tasks queues update',
  'gcloud tasks create-http-task --queue=manim-deploy-canary',
];

function envOf(service: KnativeService): Record<string, string> {
  return Object.fromEntries(service.spec.template.spec.containers[0]!.env.map(({ name, value }) => [name, value]));
}

describe('deploy.sh, first deploy after setup-gcp.sh', () => {
  let run: Deployed;
  beforeAll(() => {
    run = deploy();
  });

  it('succeeds', () => {
    expect(run.stderr).not.toMatch(/error/i);
    expect(run.status).toBe(0);
  });

  it('builds, deploys the renderer, points the queue at it, then deploys the ingress', () => {
    const steps = [
      ['builds', 'submit'],
      ['run', 'services', 'replace'],
      ['run', 'services', 'add-iam-policy-binding', 'manim-renderer'],
      ['tasks', 'queues', 'update'],
      ['run', 'services', 'add-iam-policy-binding', 'manim-api'],
    ].map((words) => indexOfCall(run.calls, ...words));
    expect(steps.every((index) => index >= 0)).toBe(true);
    expect([...steps].sort((a, b) => a - b)).toEqual(steps);
    const replaced = callsStartingWith(run.calls, 'run', 'services', 'replace').map((call) => path.basename(call[3]!));
    expect(replaced).toEqual(['manim-renderer.yaml', 'manim-api.yaml']);
  });

  it('builds the image into Artifact Registry with Cloud Build', () => {
    const [build] = callsStartingWith(run.calls, 'builds', 'submit');
    expect(flag(build!, 'tag')).toBe('europe-west1-docker.pkg.dev/demo-project/manim-render/manim-render:test-tag');
    expect(run.renderer.spec.template.spec.containers[0]!.image).toBe(flag(build!, 'tag'));
    expect(run.api.spec.template.spec.containers[0]!.image).toBe(flag(build!, 'tag'));
  });

  it('deploys the renderer internal, one render per instance, 2 CPU and 4 GiB, always-on CPU, gen2', () => {
    expect(run.renderer.metadata.annotations['run.googleapis.com/ingress']).toBe('internal');
    const template = run.renderer.spec.template;
    expect(template.spec.containerConcurrency).toBe(1);
    expect(template.spec.containers[0]!.resources.limits).toEqual({ cpu: '2', memory: '4Gi' });
    expect(template.metadata.annotations).toMatchObject({
      'run.googleapis.com/cpu-throttling': 'false',
      'run.googleapis.com/startup-cpu-boost': 'true',
      'run.googleapis.com/execution-environment': 'gen2',
    });
    expect(template.spec.serviceAccountName).toBe(SA.renderer);
  });

  it('deploys the ingress public, behind the invoker check, with its own account', () => {
    expect(run.api.metadata.annotations).toMatchObject({
      'run.googleapis.com/ingress': 'all',
      'run.googleapis.com/invoker-iam-disabled': 'false',
    });
    expect(run.api.spec.template.spec.serviceAccountName).toBe(SA.api);
    expect(run.api.spec.template.spec.containerConcurrency).toBe(40);
  });

  it('lets the tasks invoker call the renderer and the ingress (webhook deliveries), and the scheduler the ingress only', () => {
    const grants = callsStartingWith(run.calls, 'run', 'services', 'add-iam-policy-binding').map(
      (call) => `${call[3]} ${flag(call, 'member')} ${flag(call, 'role')}`,
    );
    expect(grants).toEqual([
      `manim-renderer serviceAccount:${SA.invoker} roles/run.invoker`,
      `manim-api serviceAccount:${SA.scheduler} roles/run.invoker`,
      `manim-api serviceAccount:${SA.invoker} roles/run.invoker`,
    ]);
  });

  it('routes every webhook delivery to the ingress, on a queue of its own, with a token for the ingress', () => {
    const updates = callsStartingWith(run.calls, 'tasks', 'queues', 'update');
    const webhooks = updates.find((call) => call[3] === 'manim-webhooks');
    expect(flag(webhooks!, 'http-uri-override')).toBe('scheme:https,host:manim-api-123456789012.europe-west1.run.app,path:/tasks/webhooks,mode:ALWAYS');
    expect(flag(webhooks!, 'http-oidc-service-account-email-override')).toBe(SA.invoker);
    expect(flag(webhooks!, 'http-oidc-token-audience-override')).toBe(API_URL);
    expect(flag(webhooks!, 'max-concurrent-dispatches')).toBe('20');
    expect(envOf(run.api)).toMatchObject({ INGRESS_URL: API_URL, WEBHOOK_QUEUE: 'manim-webhooks' });
    expect(envOf(run.renderer)).toMatchObject({ INGRESS_URL: API_URL, WEBHOOK_QUEUE: 'manim-webhooks' });
  });

  it('routes every task to the renderer with an OIDC token of the invoker account', () => {
    const [update] = callsStartingWith(run.calls, 'tasks', 'queues', 'update');
    expect(flag(update!, 'http-uri-override')).toBe(
      'scheme:https,host:manim-renderer-123456789012.europe-west1.run.app,path:/tasks,mode:ALWAYS',
    );
    expect(flag(update!, 'http-oidc-service-account-email-override')).toBe(SA.invoker);
    expect(flag(update!, 'http-oidc-token-audience-override')).toBe(RENDERER_URL);
  });

  it('gives the ingress, the renderer and the queue the same renderer URL and audience', () => {
    expect(envOf(run.api)).toMatchObject({ RENDERER_URL, RENDERER_AUDIENCE: RENDERER_URL });
    expect(envOf(run.renderer)).toMatchObject({ RENDERER_AUDIENCE: RENDERER_URL });
  });

  it('fills in every setting so that each service starts with a valid configuration', () => {
    const api = loadConfig(envOf(run.api));
    expect(api).toMatchObject({ MODE: 'gcp', ROLE: 'ingress', AUTH_MODE: 'iam', GOOGLE_CLOUD_PROJECT: 'demo-project', BUCKET: 'demo-project-manim-renders' });
    expect(api.AUTH_ALLOWLIST.split(',')).toContain(SA.scheduler);
    // The scheduler may name its nightly prefix as a batch source (setup-gcp.sh's job does), and nobody anything else.
    expect(api.BATCH_SOURCES).toEqual({ [SA.scheduler]: ['gs://demo-project-manim-renders/scenes/nightly/'] });
    const renderer = loadConfig(envOf(run.renderer));
    expect(renderer).toMatchObject({ MODE: 'gcp', ROLE: 'renderer', TASKS_INVOKER_SA: SA.invoker, RENDER_CONCURRENCY: 1 });
  });

  it('prints both URLs', () => {
    expect(run.stdout).toContain(`manim-api\t${API_URL}`);
    expect(run.stdout).toContain(`manim-renderer\t${RENDERER_URL}`);
  });
});

describe('deploy.sh', () => {
  it("sizes the renderer's max instances and the queue's concurrent dispatches from one setting", () => {
    const run = deploy({ env: { RENDER_MAX_INSTANCES: '7', TASK_MAX_ATTEMPTS: '9' } });
    expect(run.renderer.spec.template.metadata.annotations['autoscaling.knative.dev/maxScale']).toBe('7');
    const [update] = callsStartingWith(run.calls, 'tasks', 'queues', 'update');
    expect(flag(update!, 'max-concurrent-dispatches')).toBe('7');
    // The renderer fails a scene for good on what the queue calls its last attempt: the two must agree.
    expect(flag(update!, 'max-attempts')).toBe('9');
    expect(envOf(run.renderer).TASK_MAX_ATTEMPTS).toBe('9');
  });

  it('gives the renderer a request timeout above the longest render', () => {
    const run = deploy({ env: { MAX_TIMEOUT_SECONDS: '900' } });
    expect(run.renderer.spec.template.spec.timeoutSeconds).toBeGreaterThan(900);
    expect(run.renderer.spec.template.spec.timeoutSeconds).toBeLessThanOrEqual(1800);
    expect(envOf(run.renderer).MAX_TIMEOUT_SECONDS).toBe('900');
  });

  it("refuses a render timeout that cannot fit in Cloud Tasks' dispatch deadline", () => {
    const run = deploy({ env: { MAX_TIMEOUT_SECONDS: '1700' } });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/dispatch deadline/);
    expect(run.calls.filter(isMutation)).toEqual([]);
  });

  it('grants nothing again on a second deploy, and states the services and the queue again', () => {
    const run = deploy({ state: 'present' });
    expect(run.status).toBe(0);
    expect(run.calls.filter((call) => call.includes('add-iam-policy-binding'))).toEqual([]);
    expect(callsStartingWith(run.calls, 'run', 'services', 'replace')).toHaveLength(2);
    expect(callsStartingWith(run.calls, 'tasks', 'queues', 'update').map((call) => call[3])).toEqual(['manim-render', 'manim-webhooks']);
  });

  it('lets the callers in API_INVOKERS call the ingress', () => {
    const run = deploy({ env: { API_INVOKERS: 'serviceAccount:web@demo-project.iam.gserviceaccount.com,group:eng@example.com' } });
    const members = callsStartingWith(run.calls, 'run', 'services', 'add-iam-policy-binding', 'manim-api').map((call) => flag(call, 'member'));
    expect(members).toEqual([
      `serviceAccount:${SA.scheduler}`,
      `serviceAccount:${SA.invoker}`,
      'serviceAccount:web@demo-project.iam.gserviceaccount.com',
      'group:eng@example.com',
    ]);
  });

  it('with --image deploys that image and builds nothing', () => {
    const image = 'europe-west1-docker.pkg.dev/demo-project/manim-render/manim-render:previous';
    const run = deploy({ args: ['--image', image] });
    expect(run.status).toBe(0);
    expect(callsStartingWith(run.calls, 'builds')).toEqual([]);
    expect(run.renderer.spec.template.spec.containers[0]!.image).toBe(image);
  });

  it('with --dry-run and no gcloud login, says which queries it could not make and still prints the whole plan', () => {
    const run = deploy({ args: ['--dry-run'], state: 'loggedout', existing: [] });
    expect(run.status).toBe(0);
    expect(run.calls.filter(isMutation)).toEqual([]);
    expect(run.stderr).toContain('not logged in to gcloud: queries are not made');
    expect(run.stderr).toMatch(/not asked: gcloud projects describe demo-project/);
    expect(run.stderr).not.toMatch(/gcloud auth login/);
    // The same commands as a dry run on a project where nothing exists, URLs with the unknown number left open.
    expect(planOf(run)).toEqual(DRY_RUN_PLAN);
    expect(run.stdout).toContain('manim-api\thttps://manim-api-PROJECT_NUMBER.europe-west1.run.app');
  });

  it('with --dry-run runs only queries and prints every command', () => {
    const run = deploy({ args: ['--dry-run'] });
    expect(run.status).toBe(0);
    expect(run.calls.filter(isMutation)).toEqual([]);
    expect(planOf(run)).toEqual(DRY_RUN_PLAN);
  });

  it('with --builder docker builds for linux/amd64 and pushes to Artifact Registry', () => {
    const run = deploy({ args: ['--dry-run', '--builder', 'docker'] });
    expect(run.status).toBe(0);
    const image = 'europe-west1-docker.pkg.dev/demo-project/manim-render/manim-render:test-tag';
    expect(run.printed.slice(0, 3)).toEqual([
      'gcloud auth configure-docker europe-west1-docker.pkg.dev --quiet',
      expect.stringMatching(new RegExp(`^docker build --platform=linux/amd64 --tag=${image} `)),
      `docker push ${image}`,
    ]);
  });

  it('refuses to deploy into a project setup-gcp.sh has not prepared', () => {
    const run = runScript('deploy.sh', [...PROJECT, '--tag', 'x'], { state: 'absent' });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/run \.\/setup-gcp\.sh first/);
    expect(run.calls.filter(isMutation)).toEqual([]);
  });

  it('stops at an error other than "not found"', () => {
    const run = runScript('deploy.sh', [...PROJECT, '--tag', 'x'], { state: 'denied' });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/PERMISSION_DENIED/);
    expect(run.calls.filter(isMutation)).toEqual([]);
  });

  it('prints its usage with --help', () => {
    const run = runScript('deploy.sh', ['--help'], { state: 'absent' });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/Usage: \.\/deploy\.sh/);
    expect(run.calls).toEqual([]);
  });
});

describe('deploy.sh, a rehearsal: new revisions without traffic, a canary through the new renderer, then traffic', () => {
  const revisionOf = (service: KnativeService) => service.spec.template.metadata.name;
  const canaryTasks = (run: Deployed) => callsStartingWith(run.calls, 'tasks', 'create-http-task');
  const trafficMoves = (run: Deployed) => callsStartingWith(run.calls, 'run', 'services', 'update-traffic');

  it('names new revisions after the image tag and the time', () => {
    const run = deploy();
    expect(revisionOf(run.renderer)).toMatch(/^manim-renderer-test-tag-\d{12}$/);
    expect(revisionOf(run.api)).toBe(revisionOf(run.renderer).replace('manim-renderer', 'manim-api'));
  });

  it("sends the canary to the new renderer revision's tag URL, on the canary queue, with the invoker's token for the renderer", () => {
    const run = deploy();
    const [task] = canaryTasks(run);
    expect(canaryTasks(run)).toHaveLength(1);
    expect(flag(task!, 'queue')).toBe('manim-deploy-canary');
    expect(flag(task!, 'url')).toBe('https://canary---manim-renderer-123456789012.europe-west1.run.app/tasks');
    expect(flag(task!, 'oidc-service-account-email')).toBe(SA.invoker);
    expect(flag(task!, 'oidc-token-audience')).toBe(RENDERER_URL);
    const body = JSON.parse(flag(task!, 'body-content')!) as { type: string; version: number; canaryId: string };
    expect(body).toEqual({ type: 'canary-render', version: 1, canaryId: expect.stringMatching(new RegExp(`^${revisionOf(run.renderer)}-[0-9a-f]{8}$`)) });
    // Both new revisions exist before the canary runs.
    expect(indexOfCall(run.calls, 'tasks', 'create-http-task')).toBeGreaterThan(indexOfCall(run.calls, 'tasks', 'queues', 'update', 'manim-webhooks'));
    expect(run.stderr).toMatch(/canary passed: manim-renderer-test-tag-\d+ rendered 854x480, 0.5 s of video/);
  });

  it('on a first deploy gives the new revisions all the traffic (there is none to keep) and moves none after', () => {
    const run = deploy();
    expect(run.status).toBe(0);
    expect(run.renderer.spec.traffic).toEqual([{ revisionName: revisionOf(run.renderer), percent: 100, tag: 'canary' }]);
    expect(run.api.spec.traffic).toEqual([{ revisionName: revisionOf(run.api), percent: 100, tag: 'canary' }]);
    expect(trafficMoves(run)).toEqual([]);
  });

  it('on a later deploy keeps the traffic where it is, then moves it to the new revisions once the canary passed', () => {
    const run = deploy({ state: 'present' });
    expect(run.status).toBe(0);
    // What served keeps its traffic; the last deploy's tag is not carried over.
    expect(run.renderer.spec.traffic).toEqual([
      { revisionName: 'manim-renderer-00007-old', percent: 100 },
      { revisionName: revisionOf(run.renderer), percent: 0, tag: 'canary' },
    ]);
    expect(run.api.spec.traffic).toEqual([
      { revisionName: 'manim-api-00007-old', percent: 100 },
      { revisionName: revisionOf(run.api), percent: 0, tag: 'canary' },
    ]);
    expect(trafficMoves(run).map((call) => [call[3], flag(call, 'to-revisions')])).toEqual([
      ['manim-renderer', `${revisionOf(run.renderer)}=100`],
      ['manim-api', `${revisionOf(run.api)}=100`],
    ]);
    expect(indexOfCall(run.calls, 'run', 'services', 'update-traffic')).toBeGreaterThan(indexOfCall(run.calls, 'tasks', 'create-http-task'));
  });

  it("leaves the traffic where it was when the canary fails, and says why in the readiness checks' own words", () => {
    const run = deploy({ state: 'present', env: { FAKE_CANARY: 'failed' } });
    expect(run.status).not.toBe(0);
    expect(trafficMoves(run)).toEqual([]);
    expect(run.stderr).toContain('canary failed: the renderer is not ready');
    expect(run.stderr).toContain('sandbox: sandbox layers required but not active: namespaces|landlock');
    expect(run.stderr).toMatch(/did not render; traffic is where it was/);
  });

  it('fails a canary that another revision answered', () => {
    const run = deploy({ state: 'present', env: { FAKE_CANARY: 'elsewhere' } });
    expect(run.status).not.toBe(0);
    expect(trafficMoves(run)).toEqual([]);
    expect(run.stderr).toMatch(/answered by revision manim-renderer-00007-old, not manim-renderer-test-tag-\d+/);
  });

  it("stops waiting for a canary that never answers, with the revision's own warnings", () => {
    const run = deploy({ state: 'present', env: { FAKE_CANARY: 'never', CANARY_TIMEOUT_SECONDS: '10' } });
    expect(run.status).not.toBe(0);
    expect(trafficMoves(run)).toEqual([]);
    expect(run.stderr).toContain('no outcome within 10s; traffic is where it was');
    expect(run.stderr).toContain('bwrap: clone(CLONE_NEWUSER): EPERM');
  }, 30_000);

  it('stops before any canary or traffic when a new revision never gets ready, with Cloud Run\'s words and its own', () => {
    const run = deploy({ state: 'present', env: { FAKE_REPLACE_FAILS: 'manim-renderer' } });
    expect(run.status).not.toBe(0);
    expect(canaryTasks(run)).toEqual([]);
    expect(trafficMoves(run)).toEqual([]);
    expect(run.stderr).toContain('failed the configured startup probe checks');
    expect(run.stderr).toContain('render sandbox refused');
    expect(run.stderr).toMatch(/revision manim-renderer-test-tag-\d+ of manim-renderer did not become ready; traffic is where it was/);
  });
});

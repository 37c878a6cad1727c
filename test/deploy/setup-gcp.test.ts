import fs from 'node:fs';
import path from 'node:path';
import {
  FIXTURES,
  PROJECT,
  ROOT,
  SA,
  callsStartingWith,
  flag,
  indexOfCall,
  isMutation,
  runScript,
  type FakeState,
  type ScriptRun,
} from './support/run-script';

// setup-gcp.sh runs against a recording stand-in for gcloud (test/deploy/fixtures/gcloud): nothing here can
// reach Google Cloud, so the tests check the commands it issues, their flags and their order.
const INDEXES = ['--indexes', path.join(FIXTURES, 'firestore.indexes.json')];

function setup(state: FakeState, extra: string[] = [], env: Record<string, string> = {}) {
  return runScript('setup-gcp.sh', [...PROJECT, ...INDEXES, ...extra], { state, env });
}

/** member -> "resource-kind resource role" for every binding a run adds. */
function bindings(calls: string[][]): string[] {
  return calls
    .filter((call) => call.includes('add-iam-policy-binding'))
    .map((call) => {
      const verb = call.indexOf('add-iam-policy-binding');
      return `${flag(call, 'member')} ${call.slice(0, verb).join(' ')} ${call[verb + 1]} ${flag(call, 'role')}`;
    });
}

describe('setup-gcp.sh on an empty project', () => {
  let run: ScriptRun;
  beforeAll(() => {
    run = setup('absent');
  });

  it('succeeds', () => {
    expect(run.stderr).not.toMatch(/error/i);
    expect(run.status).toBe(0);
  });

  it('creates each resource once, after what it depends on', () => {
    const order = [
      ['services', 'enable'],
      ['artifacts', 'repositories', 'create'],
      ['firestore', 'databases', 'create'],
      ['firestore', 'fields', 'ttls', 'update'],
      ['firestore', 'indexes', 'composite', 'create'],
      ['storage', 'buckets', 'create'],
      ['storage', 'buckets', 'update'],
      ['tasks', 'queues', 'create'],
      ['iam', 'service-accounts', 'create'],
      ['projects', 'add-iam-policy-binding'],
      ['scheduler', 'jobs', 'create', 'http'],
    ].map((words) => indexOfCall(run.calls, ...words));
    expect(order.every((index) => index >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    for (const words of [['artifacts', 'repositories', 'create'], ['firestore', 'databases', 'create'], ['storage', 'buckets', 'create']]) {
      expect(callsStartingWith(run.calls, ...words)).toHaveLength(1);
    }
    // The render queue and the webhook queue, once each.
    expect(callsStartingWith(run.calls, 'tasks', 'queues', 'create').map((call) => call[3])).toEqual(['manim-render', 'manim-webhooks', 'manim-deploy-canary']);
  });

  it('enables the APIs the services use, IAM Credentials (signBlob for signed URLs) among them', () => {
    const [enable] = callsStartingWith(run.calls, 'services', 'enable');
    expect(enable).toEqual(
      expect.arrayContaining([
        'run.googleapis.com',
        'firestore.googleapis.com',
        'cloudtasks.googleapis.com',
        'storage.googleapis.com',
        'iamcredentials.googleapis.com',
        'artifactregistry.googleapis.com',
        'cloudscheduler.googleapis.com',
      ]),
    );
  });

  it('creates a native-mode Firestore database in the region', () => {
    const [create] = callsStartingWith(run.calls, 'firestore', 'databases', 'create');
    expect(flag(create!, 'type')).toBe('firestore-native');
    expect(flag(create!, 'location')).toBe('europe-west1');
    expect(flag(create!, 'database')).toBe('(default)');
  });

  it('sets TTL policies on expireAt of jobs and of their scenes', () => {
    const ttls = callsStartingWith(run.calls, 'firestore', 'fields', 'ttls', 'update');
    expect(ttls.map((call) => `${flag(call, 'collection-group')}.${call[4]}`).sort()).toEqual([
      'renderJobs.expireAt',
      'scenes.expireAt',
    ]);
    for (const call of ttls) expect(call).toContain('--enable-ttl');
  });

  it('creates the composite indexes of firestore.indexes.json with their field orders', () => {
    const creates = callsStartingWith(run.calls, 'firestore', 'indexes', 'composite', 'create');
    expect(creates).toHaveLength(3);
    expect(creates[0]).toEqual(
      expect.arrayContaining([
        '--collection-group=renderJobs',
        '--query-scope=COLLECTION',
        '--field-config=field-path=owner,order=ascending',
        '--field-config=field-path=createdAt,order=descending',
      ]),
    );
    expect(creates[2]).toEqual(
      expect.arrayContaining(['--query-scope=COLLECTION_GROUP', '--field-config=field-path=labels,array-config=contains']),
    );
  });

  it('exempts the fields the index file exempts from single-field indexing', () => {
    const exemptions = callsStartingWith(run.calls, 'firestore', 'indexes', 'fields', 'update');
    expect(exemptions.map((call) => call[4]).sort()).toEqual(['code', 'expireAt']);
    for (const call of exemptions) expect(call).toContain('--disable-indexes');
  });

  it('creates the bucket with uniform access and public access prevention', () => {
    const [create] = callsStartingWith(run.calls, 'storage', 'buckets', 'create');
    expect(create).toEqual(
      expect.arrayContaining(['gs://demo-project-manim-renders', '--uniform-bucket-level-access', '--public-access-prevention']),
    );
    const [update] = callsStartingWith(run.calls, 'storage', 'buckets', 'update');
    expect(update!.some((arg) => arg.startsWith('--lifecycle-file='))).toBe(true);
    expect(update!.some((arg) => arg.startsWith('--cors-file='))).toBe(true);
  });

  it('creates the queue with the retry policy the service expects', () => {
    const [create] = callsStartingWith(run.calls, 'tasks', 'queues', 'create');
    expect(create).toEqual(
      expect.arrayContaining([
        'manim-render',
        '--location=europe-west1',
        '--max-concurrent-dispatches=10',
        '--max-attempts=5',
        '--min-backoff=1s',
        '--max-backoff=60s',
      ]),
    );
  });

  it('creates one service account per role', () => {
    const created = callsStartingWith(run.calls, 'iam', 'service-accounts', 'create').map((call) => call[3]);
    expect(created.sort()).toEqual(['manim-api', 'manim-renderer', 'manim-scheduler', 'manim-tasks-invoker']);
  });

  it('grants each account only what its role needs, on the narrowest resource', () => {
    expect(bindings(run.calls).sort()).toEqual(
      [
        `serviceAccount:${SA.api} projects demo-project roles/datastore.user`,
        `serviceAccount:${SA.api} tasks queues manim-render roles/cloudtasks.enqueuer`,
        `serviceAccount:${SA.api} tasks queues manim-render roles/cloudtasks.taskDeleter`,
        `serviceAccount:${SA.api} tasks queues manim-webhooks roles/cloudtasks.enqueuer`,
        `serviceAccount:${SA.api} tasks queues manim-webhooks roles/cloudtasks.taskDeleter`,
        `serviceAccount:${SA.api} iam service-accounts ${SA.invoker} roles/iam.serviceAccountUser`,
        `serviceAccount:${SA.api} iam service-accounts ${SA.api} roles/iam.serviceAccountTokenCreator`,
        `serviceAccount:${SA.api} storage buckets gs://demo-project-manim-renders roles/storage.objectUser`,
        `serviceAccount:${SA.renderer} projects demo-project roles/datastore.user`,
        `serviceAccount:${SA.renderer} tasks queues manim-render roles/cloudtasks.enqueuer`,
        `serviceAccount:${SA.renderer} tasks queues manim-webhooks roles/cloudtasks.enqueuer`,
        `serviceAccount:${SA.renderer} iam service-accounts ${SA.invoker} roles/iam.serviceAccountUser`,
        `serviceAccount:${SA.renderer} storage buckets gs://demo-project-manim-renders roles/storage.objectUser`,
      ].sort(),
    );
  });

  it('never grants a basic or admin role', () => {
    for (const line of bindings(run.calls)) expect(line).not.toMatch(/roles\/(owner|editor|viewer|[a-z.]*[aA]dmin)\b/);
  });

  it('adds project bindings without prompting about conditions', () => {
    for (const call of callsStartingWith(run.calls, 'projects', 'add-iam-policy-binding')) {
      expect(call).toContain('--condition=None');
    }
  });

  it('creates a nightly batch of a Cloud Storage prefix, called with an OIDC token for the ingress', () => {
    const job = callsStartingWith(run.calls, 'scheduler', 'jobs', 'create', 'http').find((call) => call.includes('manim-nightly'));
    const url = 'https://manim-api-123456789012.europe-west1.run.app';
    expect(flag(job!, 'uri')).toBe(`${url}/v1/batches`);
    expect(flag(job!, 'schedule')).toBe('0 2 * * *');
    expect(flag(job!, 'oidc-service-account-email')).toBe(SA.scheduler);
    expect(flag(job!, 'oidc-token-audience')).toBe(url);
    expect(JSON.parse(flag(job!, 'message-body')!)).toMatchObject({ source: { gcsPrefix: expect.stringMatching(/^gs:\/\/.+\/scenes\/nightly\/$/) } });
  });

  it('schedules the repair of lost work on the ingress, with the invoker account\'s token the ingress accepts', () => {
    const job = callsStartingWith(run.calls, 'scheduler', 'jobs', 'create', 'http').find((call) => call.includes('manim-repair'));
    const url = 'https://manim-api-123456789012.europe-west1.run.app';
    expect(flag(job!, 'uri')).toBe(`${url}/tasks/repair`);
    expect(flag(job!, 'schedule')).toBe('*/10 * * * *');
    expect(flag(job!, 'oidc-service-account-email')).toBe(SA.invoker);
    expect(flag(job!, 'oidc-token-audience')).toBe(url);
  });

  it('creates the example scheduler job with an OIDC token for the ingress', () => {
    const [job] = callsStartingWith(run.calls, 'scheduler', 'jobs', 'create', 'http');
    const url = 'https://manim-api-123456789012.europe-west1.run.app';
    expect(flag(job!, 'uri')).toBe(`${url}/v1/renders`);
    expect(flag(job!, 'oidc-service-account-email')).toBe(SA.scheduler);
    expect(flag(job!, 'oidc-token-audience')).toBe(url);
    expect(JSON.parse(flag(job!, 'message-body')!)).toMatchObject({ quality: 'low', code: expect.stringContaining('class Canary(Scene)') });
  });
});

describe('setup-gcp.sh', () => {
  it('creates nothing and grants nothing when everything exists', () => {
    const run = setup('present');
    expect(run.status).toBe(0);
    // The bucket's settings are applied again on purpose (whoever changed them); nothing else changes.
    expect(run.calls.filter(isMutation).map((call) => call.slice(0, 3).join(' '))).toEqual(['storage buckets update']);
  });

  it('with --dry-run runs only queries and prints every change instead', () => {
    const real = setup('absent');
    const dry = setup('absent', ['--dry-run']);
    expect(dry.status).toBe(0);
    expect(dry.calls.filter(isMutation)).toEqual([]);
    expect(dry.printed.every((line) => line.startsWith('gcloud '))).toBe(true);
    expect(dry.printed.map((line) => line.split(' ').slice(1, 4).join(' '))).toEqual(
      real.calls.filter(isMutation).map((call) => call.slice(0, 3).join(' ')),
    );
  });

  it('in a dry run on a new project, where the APIs are still off, prints the same setup', () => {
    const fresh = setup('disabled', ['--dry-run']);
    expect(fresh.stderr).not.toMatch(/error/i);
    expect(fresh.status).toBe(0);
    // Temporary file names differ from run to run.
    const normalized = (lines: string[]) => lines.map((line) => line.replace(/\/tmp\/[\w.]+\//g, 'TMP/'));
    expect(normalized(fresh.printed)).toEqual(normalized(setup('absent', ['--dry-run']).printed));
  });

  it('in a dry run without a gcloud login, prints the same setup and says which queries it could not make', () => {
    const loggedOut = setup('loggedout', ['--dry-run']);
    expect(loggedOut.status).toBe(0);
    expect(loggedOut.stderr).toContain('not logged in to gcloud: queries are not made');
    expect(loggedOut.stderr).toMatch(/not asked: gcloud services list/);
    expect(loggedOut.stderr).not.toMatch(/gcloud auth login/);
    const normalized = (lines: string[]) => lines.map((line) => line.replace(/\/tmp\/[\w.]+\//g, 'TMP/').replaceAll('123456789012', 'PROJECT_NUMBER'));
    expect(normalized(loggedOut.printed)).toEqual(normalized(setup('absent', ['--dry-run']).printed));
  });

  it('on a new project enables the APIs before it queries anything they serve', () => {
    const run = setup('disabled');
    expect(run.status).toBe(0);
    const enable = indexOfCall(run.calls, 'services', 'enable');
    expect(enable).toBeGreaterThan(0);
    expect(run.calls.slice(0, enable).map((call) => call.slice(0, 2).join(' '))).toEqual(['projects describe', 'services list']);
  });

  it('shows the lifecycle and CORS rules it applies in a dry run', () => {
    const run = setup('absent', ['--dry-run'], { JOB_RETENTION_DAYS: '7', CORS_ORIGINS: 'https://app.example.com' });
    const lifecycle = JSON.parse(/lifecycle: (.*)/.exec(run.stderr)![1]!);
    expect(lifecycle.rule).toContainEqual({ action: { type: 'Delete' }, condition: { age: 7, matchesPrefix: ['jobs/', 'files/'] } });
    expect(lifecycle.rule).toContainEqual({ action: { type: 'Delete' }, condition: { age: 1, matchesPrefix: ['uploads/'] } });
    const cors = JSON.parse(/CORS: (.*)/.exec(run.stderr)![1]!);
    expect(cors[0]).toMatchObject({ origin: ['https://app.example.com'], method: ['GET', 'HEAD'] });
    expect(cors[0].responseHeader).toEqual(expect.arrayContaining(['Content-Range', 'Accept-Ranges']));
  });

  it('stops at an error other than "not found" rather than creating anything', () => {
    const run = setup('denied');
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/PERMISSION_DENIED/);
    expect(run.calls.filter(isMutation)).toEqual([]);
  });

  it('refuses to start without a project or a region', () => {
    const run = runScript('setup-gcp.sh', ['--region', 'europe-west1', ...INDEXES], { state: 'absent' });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/PROJECT_ID is not set/);
    expect(run.calls).toEqual([]);
  });

  it('takes the project and region from the environment', () => {
    const run = runScript('setup-gcp.sh', [...INDEXES, '--dry-run'], {
      state: 'present',
      env: { PROJECT_ID: 'demo-project', REGION: 'europe-west1' },
    });
    expect(run.status).toBe(0);
  });

  it('fails before changing anything when the index file is missing', () => {
    const run = runScript('setup-gcp.sh', [...PROJECT, '--indexes', '/nonexistent/firestore.indexes.json'], { state: 'absent' });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/firestore\.indexes\.json not found/);
    expect(run.calls.filter(isMutation)).toEqual([]);
  });

  it('prints its usage with --help', () => {
    const run = runScript('setup-gcp.sh', ['--help'], { state: 'absent' });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/Usage: \.\/setup-gcp\.sh/);
    expect(run.calls).toEqual([]);
  });

  const repositoryIndexes = path.join(ROOT, 'firestore.indexes.json');
  (fs.existsSync(repositoryIndexes) ? it : it.skip)('can apply the repository firestore.indexes.json', () => {
    const run = runScript('setup-gcp.sh', [...PROJECT, '--dry-run'], { state: 'absent' });
    expect(run.stderr).not.toMatch(/error/i);
    expect(run.status).toBe(0);
  });
});

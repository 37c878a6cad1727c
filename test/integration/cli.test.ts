import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BatchView } from '../../src/contracts/batch';
import type { JobList, JobView } from '../../src/contracts/job';
import { freePort } from '../support/emulators';
import { FIXTURES, ffprobe, startService, type ServiceHarness } from '../support/service-harness';
import { startTestIssuer, trustingIssuer, type TestIssuer } from '../support/test-issuer';
import { audioCodecsOf, PROJECTS } from '../support/project-fixture';

jest.setTimeout(180_000);

const ROOT = path.join(__dirname, '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');
const scene = (name: string) => path.join(FIXTURES, name);

let issuer: TestIssuer;
let service: ServiceHarness;
let workDir: string;
let apiKey: string;

interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `manim-render` (dist/cli/main.js) on this Node, with only the environment given. */
function cli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: workDir, MANIM_RENDER_URL: service.url, DATA_DIR: service.dataDir, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

const withKey = () => ({ MANIM_RENDER_API_KEY: apiKey });

function parsed<T>(result: CliResult): T {
  expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
  return JSON.parse(result.stdout) as T;
}

/** The CLI under test is the build; a stale build would test old code. `npm test` builds first. */
function assertBuilt(): void {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  const built = fs.statSync(CLI).mtimeMs;
  const sources = ['src/cli', 'src/client', 'src/contracts'].flatMap((dir) =>
    fs.readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' }).map((f) => path.join(ROOT, dir, f)),
  );
  const newer = sources.filter((f) => f.endsWith('.ts') && fs.statSync(f).mtimeMs > built);
  if (newer.length) throw new Error(`the build is older than ${path.relative(ROOT, newer[0]!)}: run \`npm run build\` first`);
}

beforeAll(async () => {
  assertBuilt();
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'manim-render-cli-'));
  issuer = await startTestIssuer();
  // The service's URL must be known before it starts: it is the audience of its tokens.
  const port = await freePort();
  service = await startService({
    PORT: String(port),
    ...trustingIssuer(issuer, { audience: `http://127.0.0.1:${port}`, allowlist: 'operator@example.com' }),
    QUOTA_SUBMITS_PER_MINUTE: '1000',
  });
  const created = parsed<{ keyId: string; principal: string; key: string }>(await cli(['keys', 'create', '--principal', 'cli-test', '--json']));
  expect(created.principal).toBe('cli-test');
  apiKey = created.key;
});

afterAll(async () => {
  await service.stop();
  await issuer.close();
  fs.rmSync(workDir, { recursive: true, force: true });
});

describe('usage errors exit 2', () => {
  it.each<[string[], RegExp]>([
    [[], /no command/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['render'], /render needs FILE/],
    [['list', '--bogus'], /Unknown option '--bogus'/],
    [['list', '--scene', 'A'], /Unknown option '--scene'/],
    [['render', 'x.py', '--quality', 'ultra'], /--quality must be one of low, medium/],
    [['status', 'a', 'b'], /unexpected 'b'/],
    [['list', '--api-key', 'k', '--gcloud-auth'], /either --api-key or --gcloud-auth/],
    [['keys', 'rotate'], /keys needs create, list or revoke/],
    [['keys', 'create'], /--principal/],
  ])('%j', async (args, message) => {
    const result = await cli(args);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
  });

  it('prints help with --help and exits 0', async () => {
    const result = await cli(['--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('manim-render render FILE');
  });
});

describe('keys', () => {
  it('creates a key that works against the service on the same DATA_DIR, and lists it without its secret', async () => {
    const list = await cli(['list'], withKey());
    expect(list.status).toBe(0);
    const keys = parsed<Array<{ keyId: string; principal: string }>>(await cli(['keys', 'list', '--json']));
    const keyId = apiKey.split('_')[1];
    expect(keys).toContainEqual(expect.objectContaining({ keyId, principal: 'cli-test' }));
    const human = await cli(['keys', 'list']);
    expect(human.stdout).toContain(keyId);
    // The secret is everything after the id: base64url, so it may itself hold an underscore.
    expect(human.stdout).not.toContain(apiKey.split('_').slice(2).join('_'));
  });

  it('revokes a key: the service refuses it from then on', async () => {
    const created = parsed<{ keyId: string; key: string }>(await cli(['keys', 'create', '--principal', 'short-lived', '--json']));
    expect((await cli(['list'], { MANIM_RENDER_API_KEY: created.key })).status).toBe(0);
    expect((await cli(['keys', 'revoke', created.keyId])).status).toBe(0);
    const refused = await cli(['list'], { MANIM_RENDER_API_KEY: created.key });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/unauthenticated.*401/);
    expect((await cli(['keys', 'revoke', '0000000000000000'])).status).toBe(1);
  });

  it('is refused without credentials', async () => {
    const result = await cli(['list']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('HTTP 401');
  });
});

describe('render', () => {
  it('renders with --wait --out DIR, writing a real video', async () => {
    const out = path.join(workDir, 'videos');
    const result = await cli(['render', scene('tiny.py'), '--quality', 'low', '--wait', '--out', out], withKey());
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    // Not a TTY: plain progress lines, then the summary.
    expect(result.stdout).toContain('TinyCircle: succeeded');
    expect(result.stdout).toMatch(/job \w+ {2}succeeded {2}100%/);
    const file = path.join(out, 'TinyCircle.mp4');
    expect(result.stdout).toContain(`wrote TinyCircle: ${file}`);
    expect(await ffprobe(file)).toMatchObject({ codec: 'h264', width: 854, height: 480 });
  });

  it('renders a project directory: its scene.py with every file beside it, skipping what is not the project', async () => {
    const project = path.join(workDir, 'showcase');
    fs.cpSync(path.join(PROJECTS, 'showcase'), project, { recursive: true });
    fs.mkdirSync(path.join(project, 'media', 'videos'), { recursive: true });
    fs.writeFileSync(path.join(project, 'media', 'videos', 'old.mp4'), 'an earlier render');
    fs.mkdirSync(path.join(project, '.git'));
    fs.writeFileSync(path.join(project, '.git', 'HEAD'), 'ref: refs/heads/main');
    fs.writeFileSync(path.join(project, 'notes.docx'), 'not a kind the service takes');
    const out = path.join(workDir, 'project-videos');
    const result = await cli(['render', project, '--quality', 'low', '--out', out, '--json'], withKey());
    expect(result.stderr).toBe('not sent (no file of that kind is taken): notes.docx\n');
    expect(result.status).toBe(0);
    const job = JSON.parse(result.stdout) as JobView;
    expect(job.files?.map((f) => f.path)).toContain('fonts/ComicNeue-Regular.otf');
    expect(job.files?.some((f) => f.path.startsWith('media/') || f.path.startsWith('.git'))).toBe(false);
    expect(await audioCodecsOf(path.join(out, 'Showcase.mp4'))).toEqual(['aac']);
  });

  it('renders a scene file with the files under --with DIR, at their paths from the scene', async () => {
    const dir = path.join(workDir, 'beeps');
    fs.mkdirSync(path.join(dir, 'sounds'), { recursive: true });
    fs.copyFileSync(scene('sound_beeps.py'), path.join(dir, 'beeps.py'));
    fs.copyFileSync(path.join(PROJECTS, 'showcase', 'sounds', 'beep.wav'), path.join(dir, 'sounds', 'beep.wav'));
    const result = await cli(['render', path.join(dir, 'beeps.py'), '--with', path.join(dir, 'sounds'), '--quality', 'low', '--wait', '--json'], withKey());
    const job = parsed<JobView>(result);
    expect(job.files?.map((f) => f.path)).toEqual(['sounds/beep.wav']);
    expect(job.scenes[0]).toMatchObject({ status: 'succeeded', output: { audioCodec: 'aac' } });
    const outside = await cli(['render', path.join(dir, 'beeps.py'), '--with', workDir], withKey());
    expect(outside.status).toBe(2);
    expect(outside.stderr).toMatch(/not inside the scene's directory/);
  });

  it('prints parseable JSON, and reads, lists, opens and deletes the job', async () => {
    const submitted = parsed<JobView>(await cli(['render', scene('tiny.py'), '--quality', 'low', '--json'], withKey()));
    expect(submitted).toMatchObject({ status: 'queued', quality: 'low', scenes: [{ name: 'TinyCircle' }] });
    const status = parsed<JobView>(await cli(['status', submitted.id, '--json'], withKey()));
    expect(status.id).toBe(submitted.id);
    const list = parsed<JobList>(await cli(['list', '--json'], withKey()));
    expect(list.jobs.map((j) => j.id)).toContain(submitted.id);

    const done = parsed<JobView & { downloads: Record<string, string> }>(
      await cli(['render', scene('tiny.py'), '--quality', 'low', '--wait', '--json', '--out', path.join(workDir, 'json')], withKey()),
    );
    expect(done.status).toBe('succeeded');
    expect(done.downloads.TinyCircle).toBe(path.join(workDir, 'json', 'TinyCircle.mp4'));

    const human = await cli(['status', done.id], withKey());
    expect(human.stdout).toMatch(/TinyCircle\s+succeeded\s+854x480/);
    // What it cost: the scene's CPU, render and instance seconds, peak memory and estimate, and the job's sum.
    expect(human.stdout).toMatch(/TinyCircle .* [\d.]+ CPU s, [\d.]+ s rendering, [\d.]+ instance s, peak \d+ MiB, ~\$0\.\d{5}/);
    expect(human.stdout).toMatch(/^ {2}cost: .* \(Cloud Run prices of \d{4}-\d{2}-\d{2}\)$/m);
    expect((await cli(['logs', done.id, 'TinyCircle'], withKey())).status).toBe(0);
    const open = await cli(['open', done.id, 'TinyCircle'], withKey());
    expect(open.status).toBe(0);
    expect(open.stdout.trim()).toMatch(new RegExp(`^${service.url}/v1/renders/${done.id}/scenes/TinyCircle/`));

    expect((await cli(['delete', done.id], withKey())).stdout).toContain(`deleted job ${done.id}`);
    const gone = await cli(['status', done.id], withKey());
    expect(gone.status).toBe(1);
    expect(gone.stderr).toContain('[not_found, HTTP 404]');
    await cli(['cancel', submitted.id], withKey());
  });

  it('exits 1 for a scene that fails, showing its line', async () => {
    const result = await cli(['render', scene('broken_midway.py'), '--quality', 'low', '--wait'], withKey());
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/BrokenMidway\s+failed\s+scene_error at line 12: .*ZeroDivisionError/);
  });

  it('exits 1 for a file the service rejects, showing the line of the syntax error', async () => {
    const result = await cli(['render', scene('syntax_error.py')], withKey());
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/\(line \d+\) \[syntax_error, HTTP 400\]/);
  });

  it('cancels a job', async () => {
    const job = parsed<JobView>(await cli(['render', scene('never_ends.py'), '--quality', 'low', '--timeout', '60', '--json'], withKey()));
    const result = await cli(['cancel', job.id, '--json'], withKey());
    expect(parsed<JobView>(result).status).toBe('cancelled');
  });

  it('draws a progress bar per scene on a terminal', async () => {
    // `script` gives the CLI a real pseudo-terminal, so stdout.isTTY is true as in an operator's shell.
    const command = [process.execPath, CLI, 'render', scene('tiny.py'), '--quality', 'low', '--wait'].map((a) => `'${a}'`).join(' ');
    const result = await new Promise<CliResult>((resolve, reject) => {
      const child = spawn('script', ['-qefc', command, '/dev/null'], {
        env: { PATH: process.env.PATH ?? '', HOME: workDir, MANIM_RENDER_URL: service.url, ...withKey(), TERM: 'xterm' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.on('error', reject);
      child.on('close', (status) => resolve({ status, stdout, stderr: '' }));
    });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('\x1b[2K');
    expect(result.stdout).toMatch(/TinyCircle {2}\[#{24}\] {2}succeeded/);
  });
});

describe('authentication', () => {
  it('gets an ID token from gcloud with --gcloud-auth, for the service URL as audience', async () => {
    // A stand-in gcloud: prints a token from the test issuer only when asked for exactly this audience.
    const bin = path.join(workDir, 'bin');
    fs.mkdirSync(bin, { recursive: true });
    const token = issuer.mint({ aud: service.url, email: 'operator@example.com', email_verified: true, sub: 'op' });
    fs.writeFileSync(
      path.join(bin, 'gcloud'),
      `#!/bin/sh\nif [ "$*" = "auth print-identity-token --audiences=${service.url}" ]; then echo '${token}'; else echo "unexpected: $*" >&2; exit 1; fi\n`,
      { mode: 0o755 },
    );
    const result = await cli(['list', '--gcloud-auth'], { PATH: `${bin}:${process.env.PATH ?? ''}` });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});

describe('batch', () => {
  it('submits files as a batch and shows it', async () => {
    const batch = parsed<BatchView>(await cli(['batch', scene('tiny.py'), scene('random_colors.py'), '--quality', 'low', '--name', 'cli', '--json'], withKey()));
    expect(batch.items).toHaveLength(2);
    const shown = parsed<BatchView>(await cli(['status', '--batch', batch.id, '--json'], withKey()));
    expect(shown.id).toBe(batch.id);
    const human = await cli(['status', '--batch', batch.id], withKey());
    expect(human.stdout).toContain(`batch ${batch.id} (cli)`);
  });
});

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const FIXTURES = path.join(ROOT, 'test', 'deploy', 'fixtures');

/** What the fake gcloud answers: see test/deploy/fixtures/gcloud. */
export type FakeState = 'absent' | 'present' | 'denied' | 'disabled' | 'loggedout';

export interface ScriptRun {
  status: number | null;
  stdout: string;
  stderr: string;
  /** Every gcloud call the script made, in order, as argument lists. */
  calls: string[][];
  /** The commands a --dry-run printed instead of running (the `+ ...` lines), unquoted only where safe. */
  printed: string[];
}

/** Verbs that change something in a project; anything else the scripts call is a query. */
const MUTATING = new Set(['create', 'update', 'enable', 'replace', 'submit', 'add-iam-policy-binding', 'delete', 'deploy', 'create-http-task', 'update-traffic']);

export function isMutation(call: string[]): boolean {
  return call.some((word) => MUTATING.has(word));
}

/** The index of the first call whose leading words are `words`, or -1. */
export function indexOfCall(calls: string[][], ...words: string[]): number {
  return calls.findIndex((call) => words.every((word, i) => call[i] === word));
}

export function callsStartingWith(calls: string[][], ...words: string[]): string[][] {
  return calls.filter((call) => words.every((word, i) => call[i] === word));
}

/** The value of `--name=value` in a call, or undefined. */
export function flag(call: string[], name: string): string | undefined {
  const prefix = `--${name}=`;
  return call.find((arg) => arg.startsWith(prefix))?.slice(prefix.length);
}

/**
 * Runs one of the repository's scripts with the recording fake gcloud first on PATH, in an environment built from
 * nothing but PATH (so a developer's own PROJECT_ID or BUCKET cannot leak in), and returns what it did.
 */
export function runScript(
  script: string,
  args: string[],
  options: { state: FakeState; existing?: string[]; env?: Record<string, string> },
): ScriptRun {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'manim-ops-'));
  const log = path.join(dir, 'gcloud.log');
  fs.writeFileSync(log, '');
  // git keeps the mode, but a checkout through some tools may not: the fake must be executable to be found.
  fs.chmodSync(path.join(FIXTURES, 'gcloud'), 0o755);
  try {
    const result = spawnSync('bash', [path.join(ROOT, script), ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
      env: {
        PATH: `${FIXTURES}:${process.env.PATH ?? '/usr/bin:/bin'}`,
        HOME: dir,
        LANG: 'C.UTF-8',
        FAKE_GCLOUD_LOG: log,
        FAKE_GCLOUD_STATE: options.state,
        FAKE_GCLOUD_EXISTING: (options.existing ?? []).join(' '),
        ...options.env,
      },
    });
    const calls = fs
      .readFileSync(log, 'utf8')
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => line.split('\x1f').slice(0, -1));
    const printed = result.stdout
      .split('\n')
      .filter((line) => line.startsWith('+ '))
      .map((line) => line.slice(2).replace(/\\(.)/g, '$1'));
    return { status: result.status, stdout: result.stdout, stderr: result.stderr, calls, printed };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export const PROJECT = ['--project', 'demo-project', '--region', 'europe-west1'];
export const SA = {
  api: 'manim-api@demo-project.iam.gserviceaccount.com',
  renderer: 'manim-renderer@demo-project.iam.gserviceaccount.com',
  invoker: 'manim-tasks-invoker@demo-project.iam.gserviceaccount.com',
  scheduler: 'manim-scheduler@demo-project.iam.gserviceaccount.com',
};
/** What setup-gcp.sh leaves behind: deploy.sh's prerequisites. */
export const AFTER_SETUP = ['tasks.queues', 'storage.buckets', 'artifacts.repositories', 'iam.service-accounts'];

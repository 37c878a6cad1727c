import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { APP_ROOT } from '../../src/config/config';
import type { JobView } from '../../src/contracts/job';
import { frameHashes } from '../support/frame-hashes';
import type { ServiceHarness } from '../support/service-harness';

const run = promisify(execFile);

export const PYTHON = process.env.PYTHON ?? path.join(APP_ROOT, '.venv', 'bin', 'python');

/** One `.. manim::` example of the installed ManimCE (scripts/conformance/extract_examples.py). */
export interface Example {
  id: string;
  module: string;
  scene: string;
  code: string;
  saveLastFrame: boolean;
  options: Record<string, string>;
}

export async function extractExamples(): Promise<{ manim: string; examples: Example[] }> {
  const { stdout } = await run(PYTHON, [path.join(APP_ROOT, 'scripts', 'conformance', 'extract_examples.py')], { maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(stdout) as { manim: string; examples: Example[] };
}

export type Rendered = { ok: true; file: string } | { ok: false; error: string };

export interface Verdict {
  id: string;
  cli: 'rendered' | 'failed';
  service: 'rendered' | 'failed';
  identical: boolean;
  /** The CLI's own output differs between two of its runs: the difference is Manim's nondeterminism, not ours. */
  cliNondeterministic?: boolean;
  /** Why the two differ, when they do (or why one of them rendered nothing). */
  reason?: string;
  frames?: { cli: number; service: number; differing: number };
}

/**
 * The x264 options the service's worker gives Manim (python/manim_worker/encoding.py), as `manim render`'s
 * `--encoder-option`s: the frames are compared as the same encoder makes them; how close the service's encoding is to
 * Manim's own is test/integration/encoding-fidelity.test.ts's business.
 */
function workerEncoderOptions(): string[] {
  const source = fs.readFileSync(path.join(APP_ROOT, 'python', 'manim_worker', 'encoding.py'), 'utf8');
  const options = JSON.parse(/^H264_OPTIONS = (\{.*\})$/m.exec(source)![1]!) as Record<string, string>;
  return Object.entries(options).flatMap(([key, value]) => ['--encoder-option', `${key}=${value}`]);
}

/** `manim render` from the same venv, at low quality, with the service's seed, string hashing and encoder options. */
export async function renderWithCli(example: Example, dir: string, seed: number): Promise<Rendered> {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'example.py');
  fs.writeFileSync(file, example.code);
  const args = ['-m', 'manim', 'render', '-ql', '--disable_caching', '--seed', String(seed), '--media_dir', path.join(dir, 'media'), ...(example.saveLastFrame ? ['-s'] : workerEncoderOptions()), file, example.scene];
  try {
    await run(PYTHON, args, { cwd: dir, timeout: 300_000, maxBuffer: 64 * 1024 * 1024, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, PYTHONHASHSEED: '0', LANG: 'C.UTF-8' } });
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? (error as Error).message);
    return { ok: false, error: lastErrorLine(stderr) };
  }
  const produced = findOutput(path.join(dir, 'media'), example);
  return produced ? { ok: true, file: produced } : { ok: false, error: 'the CLI wrote no output' };
}

function findOutput(mediaDir: string, example: Example): string | undefined {
  const wanted = example.saveLastFrame ? /\.png$/ : new RegExp(`^${example.scene}\\.mp4$`);
  const walk = (dir: string): string | undefined => {
    for (const entry of fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }) : []) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name === 'partial_movie_files') continue;
        const found = walk(full);
        if (found) return found;
      } else if (wanted.test(entry.name)) {
        return full;
      }
    }
    return undefined;
  };
  return walk(mediaDir);
}

function lastErrorLine(text: string): string {
  const lines = text.split('\n').map((line) => line.replace(/[│╭╰─╮╯]/g, '').trim()).filter(Boolean);
  return (lines.reverse().find((line) => /Error|Exception/.test(line)) ?? lines[0] ?? 'failed').slice(0, 300);
}

/** The same example through the service: one job, its scene only, the same quality and format. */
export async function renderWithService(service: ServiceHarness, example: Example, dir: string): Promise<Rendered> {
  const submit = await service.request('POST', '/v1/renders', { code: example.code, scenes: [example.scene], quality: 'low', format: example.saveLastFrame ? 'png' : 'mp4' });
  if (submit.status !== 202) return { ok: false, error: `submit answered ${submit.status}: ${(await submit.text()).slice(0, 300)}` };
  const job: JobView = await service.waitFor(((await submit.json()) as JobView).id, undefined, 600_000);
  const scene = job.scenes.find((s) => s.name === example.scene);
  if (!scene || scene.status !== 'succeeded') return { ok: false, error: `${scene?.status ?? 'no scene'}: ${scene?.error?.code ?? ''} ${scene?.error?.message ?? ''}`.slice(0, 300) };
  const downloaded = await service.download(job, example.scene);
  const file = path.join(dir, `service${path.extname(downloaded)}`);
  fs.renameSync(downloaded, file);
  return { ok: true, file };
}

/** Decoded frames compared one by one (framemd5): the same pixels, whatever the container's bytes. */
export async function compare(example: Example, cli: Rendered, service: Rendered): Promise<Verdict> {
  const base = { id: example.id, cli: cli.ok ? ('rendered' as const) : ('failed' as const), service: service.ok ? ('rendered' as const) : ('failed' as const) };
  if (!cli.ok || !service.ok) {
    const reason = [!cli.ok && `the CLI failed: ${cli.error}`, !service.ok && `the service failed: ${service.error}`].filter(Boolean).join('; ');
    return { ...base, identical: false, reason };
  }
  const [a, b] = await Promise.all([frameHashes(cli.file), frameHashes(service.file)]);
  const differing = a.filter((hash, i) => hash !== b[i]).length + Math.abs(a.length - b.length);
  const frames = { cli: a.length, service: b.length, differing };
  if (differing === 0) return { ...base, identical: true, frames };
  const reason = a.length !== b.length ? `frame counts differ (${a.length} against ${b.length})` : `${differing} of ${a.length} frames differ`;
  return { ...base, identical: false, reason, frames };
}

/**
 * For frames that differ: renders the example with the CLI a second time. If the CLI's two runs differ from each
 * other, the example is nondeterministic under `manim render` itself (randomness drawn before Manim seeds it, at
 * module level, for one), and the service's difference is not a fault of its own.
 */
export async function checkCliDeterminism(example: Example, verdict: Verdict, first: Rendered, dir: string, seed: number): Promise<Verdict> {
  if (verdict.identical || verdict.cli !== 'rendered' || verdict.service !== 'rendered' || !first.ok) return verdict;
  const again = await renderWithCli(example, path.join(dir, 'again'), seed);
  if (!again.ok) return verdict;
  const [a, b] = await Promise.all([frameHashes(first.file), frameHashes(again.file)]);
  const varies = a.length !== b.length || a.some((hash, i) => hash !== b[i]);
  return varies ? { ...verdict, cliNondeterministic: true, reason: `${verdict.reason}; two runs of the CLI differ from each other too (Manim's own nondeterminism)` } : verdict;
}

export function summarize(manim: string, verdicts: Verdict[]): { counts: Record<string, number>; markdown: string } {
  const counts = {
    examples: verdicts.length,
    cliRendered: verdicts.filter((v) => v.cli === 'rendered').length,
    serviceRendered: verdicts.filter((v) => v.service === 'rendered').length,
    identical: verdicts.filter((v) => v.identical).length,
    cliNondeterministic: verdicts.filter((v) => v.cliNondeterministic).length,
    cliOnly: verdicts.filter((v) => v.cli === 'rendered' && v.service === 'failed').length,
  };
  const rows = verdicts.filter((v) => !v.identical).map((v) => `| \`${v.id}\` | ${v.cli} | ${v.service} | ${(v.reason ?? '').replace(/\|/g, '\\|')} |`);
  const markdown = [
    `ManimCE ${manim}: ${counts.examples} examples; the CLI rendered ${counts.cliRendered}, the service ${counts.serviceRendered}; ${counts.identical} with identical frames, ${counts.cliNondeterministic} whose CLI output differs between its own runs; ${counts.cliOnly} that the CLI rendered and the service did not.`,
    '',
    '| example | CLI | service | why they differ |',
    '| --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
  return { counts, markdown };
}

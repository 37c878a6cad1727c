import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { SCENES_DIR } from './support/cli-render';
import { sleep, waitForQuiet } from './support/proc-tree';
import { log, table, type BenchResult, type TargetCheck } from './support/report';
import { freePort } from './support/service-process';
import { settings } from './support/settings';
import { loadEmulatedStack, loadImageContainer, type EmulatedStack } from './support/stack-helpers';
import { summarize, type Summary } from './support/stats';

/**
 * The production image (`npm run test:image` builds it into buildah's store): its size, uncompressed and as a
 * registry stores it (gzip layers), with what takes the space; and what a Cloud Run user waits for on a cold
 * start, in gcp mode on the emulators with each role in a container of the image (scripts/image/run-container.sh):
 * container start → /readyz 200 → first tiny.py video for the renderer, container start → first 202 for the
 * ingress. Beside each, the same service started from this checkout (`node dist/main.js`) in the same run.
 */


interface ColdStart {
  rendererReadyMs: number;
  rendererFirstVideoMs: number;
  /** The same submit → video once the renderer is warm: what the stack itself (ingress, emulators) takes. */
  warmSubmitToVideoMs: number;
  ingressReadyMs: number;
  ingressFirst202Ms: number;
}

interface Space {
  uncompressedBytes: number;
  compressedBytes: number;
  layers: number;
  parts: Array<{ part: string; bytes: number }>;
}

function duBytes(dir: string): number {
  try {
    return Number(execFileSync('du', ['-sb', dir], { encoding: 'utf8' }).split('\t')[0]);
  } catch {
    return 0;
  }
}

/** Sizes from a mounted copy of the image, and of its gzip layers as `buildah push` writes them for a registry. */
function measureSpace(image: string): Space {
  const ctr = execFileSync('buildah', ['from', '--pull=never', image], { encoding: 'utf8' }).trim();
  const oci = fs.mkdtempSync(path.join(os.tmpdir(), 'manim-render-oci-'));
  try {
    const root = execFileSync('buildah', ['mount', ctr], { encoding: 'utf8' }).trim();
    const uncompressedBytes = duBytes(root);
    const named: Array<[string, string]> = [
      ['TeX Live (/usr/share/texlive, texmf, /var/lib/texmf)', 'usr/share/texlive'],
      ['Python venv: Manim and its wheels (/opt/venv)', 'opt/venv'],
      ['node binary (/usr/local/bin/node)', 'usr/local/bin/node'],
      ['npm packages (/app/node_modules)', 'app/node_modules'],
      ['shared libraries (/usr/lib/x86_64-linux-gnu)', 'usr/lib/x86_64-linux-gnu'],
      ['Python 3.11 standard library (/usr/lib/python3.11)', 'usr/lib/python3.11'],
      ['fonts (/usr/share/fonts)', 'usr/share/fonts'],
    ];
    const parts = named.map(([part, dir]) => {
      let bytes = duBytes(path.join(root, dir));
      if (dir === 'usr/share/texlive') bytes += duBytes(path.join(root, 'usr/share/texmf')) + duBytes(path.join(root, 'var/lib/texmf'));
      return { part, bytes };
    });
    const venvPackages = path.join(root, 'opt/venv/lib/python3.11/site-packages');
    const biggest = fs
      .readdirSync(venvPackages)
      .map((name) => ({ name, bytes: duBytes(path.join(venvPackages, name)) }))
      .sort((a, b) => b.bytes - a.bytes)
      .slice(0, 5);
    parts.splice(2, 0, { part: `  of which ${biggest.map((p) => `${p.name} ${mb(p.bytes)}`).join(', ')}`, bytes: biggest.reduce((sum, p) => sum + p.bytes, 0) });
    parts.push({ part: 'everything else (Debian base, perl, ghostscript, ...)', bytes: uncompressedBytes - parts.filter((p) => !p.part.startsWith('  ')).reduce((sum, p) => sum + p.bytes, 0) });

    log('image: compressing the layers as a push would');
    execFileSync('buildah', ['push', '--quiet', '--compression-format', 'gzip', image, `oci:${oci}:image`], { stdio: 'ignore' });
    const index = JSON.parse(fs.readFileSync(path.join(oci, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
    const blob = (digest: string) => path.join(oci, 'blobs', ...digest.split(':'));
    const manifest = JSON.parse(fs.readFileSync(blob(index.manifests[0]!.digest), 'utf8')) as { layers: Array<{ size: number }> };
    const compressedBytes = manifest.layers.reduce((sum, layer) => sum + layer.size, 0);
    return { uncompressedBytes, compressedBytes, layers: manifest.layers.length, parts };
  } finally {
    execFileSync('buildah', ['rm', ctr], { stdio: 'ignore' });
    fs.rmSync(oci, { recursive: true, force: true });
  }
}

function mb(bytes: number): string {
  return `${Math.round(bytes / 1024 / 1024)} MiB`;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch {
      // not answering yet
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** One cold start of each role, the other role already up: the renderer's first, then the ingress's. */
async function coldStart(stack: EmulatedStack, tiny: string): Promise<ColdStart> {
  const headers = { 'content-type': 'application/json', 'x-api-key': stack.apiKey };
  // Each start on a quiet machine: the other role's start-up work (spares, the glyph cache) done first.
  await waitForQuiet(stack.pids().ingress);
  await waitForQuiet(stack.pids().renderer);
  await stack.stopRole('renderer');
  let t0 = performance.now();
  // Polled beside the start (which itself waits for /healthz at a coarser interval).
  let starting = stack.startRole('renderer');
  await until('renderer /readyz', async () => ((await fetch(`${stack.rendererUrl}/readyz`)).status === 200 ? true : undefined));
  const rendererReadyMs = performance.now() - t0;
  await starting;
  const video = async () => {
    const submitted = (await (await fetch(`${stack.ingressUrl}/v1/renders`, { method: 'POST', headers, body: JSON.stringify({ code: tiny, quality: 'low' }) })).json()) as { id: string };
    await until('video', async () => {
      const job = (await (await fetch(`${stack.ingressUrl}/v1/renders/${submitted.id}`, { headers })).json()) as { status: string };
      if (job.status === 'failed' || job.status === 'cancelled') throw new Error(`tiny.py ${job.status}`);
      return job.status === 'succeeded' ? true : undefined;
    });
  };
  await video();
  const rendererFirstVideoMs = performance.now() - t0;
  // Warm: once the start-up work is done (spares and the glyph cache), the same submit again.
  await sleep(3000);
  const t1 = performance.now();
  await video();
  const warmSubmitToVideoMs = performance.now() - t1;

  await waitForQuiet(stack.pids().renderer);
  await stack.stopRole('ingress');
  t0 = performance.now();
  starting = stack.startRole('ingress');
  await until('ingress /readyz', async () => ((await fetch(`${stack.ingressUrl}/readyz`)).status === 200 ? true : undefined));
  const ingressReadyMs = performance.now() - t0;
  await starting;
  await until('ingress 202', async () => {
    const res = await fetch(`${stack.ingressUrl}/v1/renders`, { method: 'POST', headers, body: JSON.stringify({ code: tiny, quality: 'low' }) });
    return res.status === 202 ? true : undefined;
  });
  return { rendererReadyMs, rendererFirstVideoMs, warmSubmitToVideoMs, ingressReadyMs, ingressFirst202Ms: performance.now() - t0 };
}

async function coldStarts(where: 'image' | 'checkout', reps: number, tiny: string): Promise<ColdStart[]> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `manim-render-bench-${where}-`));
  const secrets = fs.mkdtempSync(path.join(os.tmpdir(), 'manim-render-bench-secrets-'));
  const stack = await loadEmulatedStack()({
    port: await freePort(),
    rendererPort: await freePort(),
    dataDir,
    output: 'ignore',
    env: { LOG_LEVEL: 'warn', RESULT_CACHE: 'false' },
    startTimeoutMs: 120_000,
    ...(where === 'image' && { launch: loadImageContainer().imageRoleLauncher(secrets) }),
  });
  try {
    const runs: ColdStart[] = [];
    for (let i = 0; i < reps; i++) {
      runs.push(await coldStart(stack, tiny));
      log(`image: ${where} cold start ${i + 1}/${reps}: ready ${Math.round(runs.at(-1)!.rendererReadyMs)} ms, first video ${Math.round(runs.at(-1)!.rendererFirstVideoMs)} ms, ingress ready ${Math.round(runs.at(-1)!.ingressReadyMs)} ms, 202 ${Math.round(runs.at(-1)!.ingressFirst202Ms)} ms`);
    }
    return runs;
  } finally {
    await stack.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(secrets, { recursive: true, force: true });
  }
}

const seconds = (s: Summary) => `${(s.median / 1000).toFixed(2)} s (${(s.min / 1000).toFixed(2)}-${(s.max / 1000).toFixed(2)})`;

export async function image(): Promise<BenchResult> {
  const { IMAGE, imageExists } = loadImageContainer();
  if (!imageExists()) throw new Error(`${IMAGE} is not in buildah's store: run npm run test:image first (it builds the image)`);
  const space = measureSpace(IMAGE);
  const tiny = fs.readFileSync(path.join(SCENES_DIR, 'tiny.py'), 'utf8');
  const reps = settings.reps;
  const inImage = await coldStarts('image', reps, tiny);
  const fromCheckout = await coldStarts('checkout', reps, tiny);
  const figure = (runs: ColdStart[], key: keyof ColdStart) => summarize(runs.map((r) => r[key]));
  const rows: Array<[string, keyof ColdStart, number]> = [
    ['renderer: container start → /readyz 200', 'rendererReadyMs', 2000],
    ['renderer: container start → first tiny.py video', 'rendererFirstVideoMs', 3000],
    ['ingress: container start → /readyz 200', 'ingressReadyMs', 1000],
  ];
  const beside: Array<[string, keyof ColdStart]> = [['ingress: container start → first 202', 'ingressFirst202Ms']];
  const reference: Array<[string, keyof ColdStart]> = [['for comparison, warm: submit → tiny.py video through the same stack', 'warmSubmitToVideoMs']];
  const targets: TargetCheck[] = rows.map(([what, key, goalMs]) => {
    const s = figure(inImage, key);
    return { target: `${what} ≤ ${goalMs / 1000} s`, reached: seconds(s), met: s.median <= goalMs };
  });
  const markdown = [
    `Image ${IMAGE}: ${mb(space.uncompressedBytes)} uncompressed, ${mb(space.compressedBytes)} compressed as pushed (${space.layers} gzip layers).`,
    '',
    table(['what takes the space', 'size'], space.parts.map((p) => [p.part, mb(p.bytes)])),
    '',
    `Cold starts in gcp mode on the emulators, each role restarted while the other runs; medians of ${reps} (min-max). "Checkout" is the same service started as \`node dist/main.js\` from this checkout, in the same run.`,
    '',
    table(
      ['', 'in the image', 'from the checkout', 'image / checkout'],
      [...rows, ...beside, ...reference].map(([what, key]) => {
        const a = figure(inImage, key);
        const b = figure(fromCheckout, key);
        return [what, seconds(a), seconds(b), `${(a.median / b.median).toFixed(2)}x`];
      }),
    ),
  ].join('\n');
  return { name: 'image', title: 'The production image: size and cold start', markdown, data: { space, inImage, fromCheckout }, targets };
}

// The playground page: write a scene, render it, watch it live while it renders, then play and download it.
// It talks to the service's own API on the same origin, so it needs nothing but what the API already allows:
// with AUTH_MODE=none (local) no credential; with API keys, the key typed in the header field (kept for the tab
// only); in gcp mode through `gcloud run services proxy`, which adds the caller's identity token.

import { python } from '@codemirror/lang-python';
import { lintGutter, setDiagnostics } from '@codemirror/lint';
import { StateEffect, StateField } from '@codemirror/state';
import { Decoration, type DecorationSet } from '@codemirror/view';
import { basicSetup, EditorView } from 'codemirror';
import Hls from 'hls.js';

interface RenderError {
  code: string;
  message: string;
  line?: number;
  traceback?: string;
}
interface SceneView {
  name: string;
  status: string;
  progress: number;
  output?: { url: string; contentType: string };
  live?: { playlistUrl: string; segments: number; ended: boolean };
  error?: RenderError;
}
interface JobView {
  id: string;
  status: string;
  progress: number;
  format: string;
  scenes: SceneView[];
  createdAt: string;
}

const SAMPLE = `from manim import *


class Hello(Scene):
    def construct(self):
        circle = Circle(color=BLUE)
        self.play(Create(circle))
        self.play(circle.animate.shift(RIGHT * 2))
        self.play(Transform(circle, Square(color=YELLOW)))
        self.wait()
`;
const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

const element = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const statusLine = element<HTMLParagraphElement>('status');
const progressBar = element<HTMLProgressElement>('progress');
const errorBox = element<HTMLPreElement>('error');
const liveVideo = element<HTMLVideoElement>('live');
const finalVideo = element<HTMLVideoElement>('final');
const still = element<HTMLImageElement>('still');
const download = element<HTMLAnchorElement>('download');
const logBox = element<HTMLDetailsElement>('log-box');
const apiKey = element<HTMLInputElement>('api-key');
apiKey.value = sessionStorage.getItem('manim-render-api-key') ?? '';
apiKey.addEventListener('change', () => sessionStorage.setItem('manim-render-api-key', apiKey.value));

// The line the last error points at, drawn as a line decoration (and a lint diagnostic for its message).
const markLine = StateEffect.define<number | null>();
const errorLine = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(marks, transaction) {
    let next = marks.map(transaction.changes);
    for (const effect of transaction.effects) {
      if (!effect.is(markLine)) continue;
      next = effect.value === null ? Decoration.none : Decoration.set([Decoration.line({ class: 'cm-error-line', attributes: { 'data-error-line': String(effect.value) } }).range(transaction.state.doc.line(effect.value).from)]);
    }
    return next;
  },
  provide: (field) => EditorView.decorations.from(field),
});

// CodeMirror writes its styles into a <style> element: the page's policy admits it by this response's nonce.
const nonce = document.querySelector<HTMLMetaElement>('meta[name="csp-nonce"]')?.content ?? '';
const editor = new EditorView({
  doc: localStorage.getItem('manim-render-code') ?? SAMPLE,
  extensions: [EditorView.cspNonce.of(nonce), basicSetup, python(), lintGutter(), errorLine, EditorView.updateListener.of((u) => u.docChanged && localStorage.setItem('manim-render-code', u.state.doc.toString()))],
  parent: element('editor'),
});

function headers(json = false): Record<string, string> {
  return { ...(json && { 'content-type': 'application/json' }), ...(apiKey.value && { 'x-api-key': apiKey.value }) };
}

function say(text: string): void {
  statusLine.textContent = text;
}

function showError(error: RenderError): void {
  errorBox.hidden = false;
  errorBox.textContent = [`${error.code}: ${error.message}`, error.traceback].filter(Boolean).join('\n\n');
  const { doc } = editor.state;
  if (!error.line || error.line > doc.lines) return;
  const line = doc.line(error.line);
  editor.dispatch(setDiagnostics(editor.state, [{ from: line.from, to: line.to, severity: 'error', message: error.message }]), { effects: markLine.of(error.line) });
}

function clearOutput(): void {
  errorBox.hidden = true;
  errorBox.textContent = '';
  editor.dispatch(setDiagnostics(editor.state, []), { effects: markLine.of(null) });
  for (const video of [liveVideo, finalVideo]) {
    video.pause();
    video.removeAttribute('src');
    video.load();
  }
  finalVideo.hidden = true;
  still.hidden = true;
  download.hidden = true;
  logBox.hidden = true;
  progressBar.value = 0;
}

let live: Hls | undefined;

/** Plays the scene's live playlist: hls.js where the browser has Media Source Extensions, else native HLS. */
function playLive(url: string): void {
  live?.destroy();
  live = undefined;
  liveVideo.muted = true;
  if (Hls.isSupported()) {
    // No worker: the page's Content-Security-Policy allows no script but its own files.
    live = new Hls({ enableWorker: false, xhrSetup: (xhr) => {
        if (apiKey.value) xhr.setRequestHeader('x-api-key', apiKey.value);
      },
    });
    live.loadSource(url);
    live.attachMedia(liveVideo);
    live.on(Hls.Events.MANIFEST_PARSED, () => void liveVideo.play().catch(() => undefined));
  } else if (liveVideo.canPlayType('application/vnd.apple.mpegurl')) {
    liveVideo.src = url;
    void liveVideo.play().catch(() => undefined);
  }
}

/** A file of the API as a URL the page can use: the API's own with no key, else the bytes fetched with the key. */
async function fileUrl(url: string): Promise<string> {
  if (!apiKey.value) return url;
  const res = await fetch(url, { headers: headers() });
  return URL.createObjectURL(await res.blob());
}

async function showResult(job: JobView, scene: SceneView): Promise<void> {
  if (scene.status === 'succeeded' && scene.output) {
    const url = await fileUrl(scene.output.url);
    if (scene.output.contentType.startsWith('image/')) {
      still.src = url;
      still.hidden = false;
    } else {
      finalVideo.src = url;
      finalVideo.hidden = false;
    }
    download.href = url;
    download.download = `${scene.name}.${job.format}`;
    download.hidden = false;
    say(`${scene.name}: done`);
    return;
  }
  say(`${scene.name}: ${scene.status}`);
  if (scene.error) showError(scene.error);
  const log = await fetch(`/v1/renders/${job.id}/scenes/${encodeURIComponent(scene.name)}/logs`, { headers: headers() });
  if (log.ok) {
    element('log').textContent = await log.text();
    logBox.hidden = false;
  }
}

/** Follows the job's Server-Sent Events (read through fetch, so an API key can go in a header) until it ends. */
async function follow(job: JobView): Promise<void> {
  let liveStarted = false;
  const onJob = (current: JobView) => {
    const scene = current.scenes[0];
    if (!scene) return;
    progressBar.value = current.progress;
    say(`${scene.name}: ${scene.status} ${Math.round(current.progress * 100)}%${scene.live?.segments ? ` (${scene.live.segments} animations live)` : ''}`);
    if (!liveStarted && scene.live && scene.live.segments > 0) {
      liveStarted = true;
      playLive(scene.live.playlistUrl);
    }
    job = current;
  };
  const res = await fetch(`/v1/renders/${job.id}/events`, { headers: headers() });
  if (!res.ok || !res.body) throw new Error(`the event stream answered ${res.status}`);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffered += value;
    let end: number;
    while ((end = buffered.indexOf('\n\n')) >= 0) {
      const event = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      const name = /^event: (.*)$/m.exec(event)?.[1];
      const data = /^data: (.*)$/m.exec(event)?.[1];
      if (name === 'job' && data) onJob(JSON.parse(data) as JobView);
    }
  }
  const final = (await (await fetch(`/v1/renders/${job.id}`, { headers: headers() })).json()) as JobView;
  onJob(final);
  if (TERMINAL.has(final.status) && final.scenes[0]) await showResult(final, final.scenes[0]);
}

async function render(): Promise<void> {
  clearOutput();
  say('submitting');
  const body = { code: editor.state.doc.toString(), quality: element<HTMLSelectElement>('quality').value, format: element<HTMLSelectElement>('format').value };
  const res = await fetch('/v1/renders', { method: 'POST', headers: headers(true), body: JSON.stringify(body) });
  const answer = (await res.json()) as JobView | { error: RenderError & { details?: { line?: number } } };
  if ('error' in answer) {
    say(`refused: ${answer.error.code}`);
    showError({ ...answer.error, ...(answer.error.details?.line && { line: answer.error.details.line }) });
    return;
  }
  await follow(answer);
  await listJobs();
}

async function listJobs(): Promise<void> {
  const res = await fetch('/v1/renders?pageSize=10', { headers: headers() });
  if (!res.ok) return;
  const { jobs } = (await res.json()) as { jobs: JobView[] };
  element('jobs').replaceChildren(
    ...jobs.map((job) => {
      const item = document.createElement('li');
      item.textContent = `${new Date(job.createdAt).toLocaleTimeString()} ${job.scenes.map((s) => s.name).join(', ')}: ${job.status}`;
      return item;
    }),
  );
}

const button = element<HTMLButtonElement>('render');
button.addEventListener('click', () => {
  button.disabled = true;
  render()
    .catch((error: Error) => say(`error: ${error.message}`))
    .finally(() => (button.disabled = false));
});
void listJobs();

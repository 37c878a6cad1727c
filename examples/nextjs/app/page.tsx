'use client';

import { useState } from 'react';

const SAMPLE = `from manim import *


class Hello(Scene):
    def construct(self):
        self.play(Create(Circle(color=BLUE)))
        self.wait()
`;

interface Update {
  status: string;
  progress?: number;
  error?: string;
  scenes?: Array<{ name: string; status: string; error?: string }>;
}

/** Sends a scene to the app's own route handlers, follows its progress, and plays the video the app relays. */
export default function Page() {
  const [code, setCode] = useState(SAMPLE);
  const [update, setUpdate] = useState<Update | null>(null);
  const [video, setVideo] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function render() {
    setBusy(true);
    setVideo(null);
    setUpdate({ status: 'submitting' });
    try {
      const submitted = await fetch('/api/renders', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }) });
      const answer = (await submitted.json()) as { id?: string; error?: string };
      if (!answer.id) return setUpdate({ status: 'refused', error: answer.error });
      const progress = await fetch(`/api/renders/${answer.id}`);
      const reader = progress.body!.pipeThrough(new TextDecoderStream()).getReader();
      let buffered = '';
      let last: Update | null = null;
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffered += value;
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines.filter(Boolean)) setUpdate((last = JSON.parse(line) as Update));
      }
      if (last?.status === 'succeeded') setVideo(`/api/renders/${answer.id}/video`);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main>
      <h1>Manim renders</h1>
      <textarea id="code" value={code} onChange={(e) => setCode(e.target.value)} rows={14} style={{ width: '100%', fontFamily: 'monospace' }} />
      <p>
        <button id="render" onClick={render} disabled={busy}>
          Render
        </button>
      </p>
      {update && (
        <p id="status">
          {update.status}
          {update.progress !== undefined && ` ${Math.round(update.progress * 100)}%`}
          {update.error && `: ${update.error}`}
          {update.scenes?.map((s) => s.error && ` ${s.name}: ${s.error}`)}
        </p>
      )}
      {update?.progress !== undefined && <progress id="progress" max={1} value={update.progress} style={{ width: '100%' }} />}
      {video && <video id="video" src={video} controls muted autoPlay playsInline style={{ width: '100%' }} />}
    </main>
  );
}

import fs from 'node:fs';
import path from 'node:path';
import type { JobView } from '../../src/contracts/job';
import { frameHashes } from '../support/frame-hashes';
import { ffprobe, fixture, startService, type ServiceHarness } from '../support/service-harness';
import { startWholeAndSplit } from '../support/whole-and-split';

// Live playback against real Manim: while a scene renders, its finished animations are an HLS playlist that grows;
// once it ends, the playlist's segments decode to the very frames of the final video.
jest.setTimeout(300_000);

let whole: ServiceHarness;
let split: ServiceHarness;

beforeAll(async () => {
  ({ whole, split } = await startWholeAndSplit());
});

afterAll(async () => {
  await Promise.all([whole?.stop(), split?.stop()]);
});

interface Playlist {
  text: string;
  segments: Array<{ uri: string; seconds: number }>;
  ended: boolean;
}

function parsePlaylist(text: string): Playlist {
  const lines = text.trim().split('\n');
  const segments: Playlist['segments'] = [];
  lines.forEach((line, i) => {
    const extinf = /^#EXTINF:([0-9.]+),$/.exec(line);
    if (extinf) segments.push({ seconds: Number(extinf[1]), uri: lines[i + 1]! });
  });
  return { text, segments, ended: lines.includes('#EXT-X-ENDLIST') };
}

const playlistPath = (job: JobView, scene: string) => `/v1/renders/${job.id}/scenes/${scene}/live.m3u8`;

/** Polls the playlist until the job ends; returns every distinct playlist seen, with the job's status when it was. */
async function watch(service: ServiceHarness, job: JobView, scene: string): Promise<{ seen: Array<Playlist & { status: string }>; final: JobView }> {
  const seen: Array<Playlist & { status: string }> = [];
  for (;;) {
    const current = await service.job(job.id);
    const res = await service.request('GET', playlistPath(job, scene));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/vnd\.apple\.mpegurl/);
    const playlist = parsePlaylist(await res.text());
    if (seen.at(-1)?.text !== playlist.text) seen.push({ ...playlist, status: current.status });
    if (['succeeded', 'failed', 'cancelled'].includes(current.status)) {
      if (!playlist.ended) continue; // the scene ended between the two reads
      return { seen, final: await service.job(job.id) };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Downloads the playlist's segments beside a copy of it, for ffmpeg to read as one stream. */
async function downloadStream(service: ServiceHarness, job: JobView, scene: string, playlist: Playlist): Promise<string> {
  const dir = fs.mkdtempSync(path.join(service.dataDir, 'live-'));
  for (const segment of playlist.segments) {
    const res = await service.request('GET', `/v1/renders/${job.id}/scenes/${scene}/${segment.uri}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('video/mp2t');
    expect(res.headers.get('cache-control')).toBe('private, max-age=31536000, immutable');
    fs.mkdirSync(path.join(dir, path.dirname(segment.uri)), { recursive: true });
    fs.writeFileSync(path.join(dir, segment.uri), Buffer.from(await res.arrayBuffer()));
  }
  fs.writeFileSync(path.join(dir, 'live.m3u8'), playlist.text);
  return path.join(dir, 'live.m3u8');
}

describe('live playback', () => {
  it('lists finished animations while the scene renders, then ends with the very frames of the final video', async () => {
    const job = await whole.submit({ code: fixture('long_timeline.py'), quality: 'low' });
    const { seen, final } = await watch(whole, job, 'LongTimeline');
    expect(final.status).toBe('succeeded');

    // Something was playable before the render was over, and the playlist only ever grew at its end.
    const early = seen.find((p) => p.segments.length > 0 && !p.ended);
    expect(early).toBeDefined();
    expect(early!.status).not.toBe('succeeded');
    for (const [i, playlist] of seen.entries()) {
      if (i > 0) expect(playlist.segments.slice(0, seen[i - 1]!.segments.length)).toEqual(seen[i - 1]!.segments);
      expect(playlist.text).toMatch(/^#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-PLAYLIST-TYPE:EVENT\n#EXT-X-TARGETDURATION:\d+\n/);
    }

    const last = seen.at(-1)!;
    expect(last.ended).toBe(true);
    expect(last.segments.map((s) => s.uri)).toEqual(Array.from({ length: 22 }, (_, i) => `live/${i}.ts`));
    expect(last.segments.reduce((sum, s) => sum + s.seconds, 0)).toBeCloseTo(21.73, 1);
    expect(final.scenes[0]!.live).toEqual({ playlistUrl: playlistPath(job, 'LongTimeline'), segments: 22, ended: true });

    const stream = await downloadStream(whole, job, 'LongTimeline', last);
    const video = await whole.download(final, 'LongTimeline');
    const [streamed, rendered] = await Promise.all([frameHashes(stream), frameHashes(video)]);
    expect(streamed.length).toBe(326);
    expect(streamed).toEqual(rendered);
    expect(await ffprobe(video)).toMatchObject({ codec: 'h264', width: 854, height: 480 });
  });

  it('streams a split scene part after part, in order, into the frames of the joined video', async () => {
    const job = await split.submit({ code: fixture('long_timeline.py'), quality: 'low' });
    const { seen, final } = await watch(split, job, 'LongTimeline');
    expect(final.scenes[0]).toMatchObject({ status: 'succeeded', split: { parts: 3 } });
    // Whatever order the parts finished in, each playlist listed animations 0, 1, 2, ... with no gap.
    for (const playlist of seen) expect(playlist.segments.map((s) => s.uri)).toEqual(playlist.segments.map((_, i) => `live/${i}.ts`));
    const last = seen.at(-1)!;
    expect(last.segments).toHaveLength(22);
    const [streamed, joined] = await Promise.all([frameHashes(await downloadStream(split, job, 'LongTimeline', last)), frameHashes(await split.download(final, 'LongTimeline'))]);
    expect(streamed).toEqual(joined);
  });

  it("takes no forged segment beyond the render's own: links and climbing paths refused, all of them together held to the output's limit", async () => {
    const small = await startService({ MAX_OUTPUT_BYTES: String(1024 * 1024) });
    try {
      const job = await small.waitFor((await small.submit({ code: fixture('attacks/forged_segments.py'), quality: 'low' })).id);
      expect({ status: job.status, error: job.scenes[0]!.error }).toEqual({ status: 'succeeded', error: undefined });
      const res = await small.request('GET', playlistPath(job, 'ForgedSegments'));
      const uris = parsePlaylist(await res.text()).segments.map((s) => s.uri);
      expect(uris).not.toContain('live/900.ts');
      expect(uris).not.toContain('live/901.ts');
      let bytes = 0;
      for (const uri of uris) {
        const segment = await small.request('GET', `/v1/renders/${job.id}/scenes/ForgedSegments/${uri}`);
        const body = Buffer.from(await segment.arrayBuffer());
        expect(body.toString('latin1')).not.toContain('root:');
        bytes += body.length;
      }
      // The render's own first animation, then no more of the forged file than the limit leaves room for.
      expect(uris[0]).toBe('live/0.ts');
      expect(uris.filter((uri) => Number(/(\d+)/.exec(uri)![1]) >= 902).length).toBeLessThanOrEqual(3);
      expect(bytes).toBeLessThanOrEqual(1024 * 1024);
    } finally {
      await small.stop();
    }
  });

  it('has no live stream for formats that do not stream, and none for a segment not yet recorded', async () => {
    const gif = await whole.waitFor((await whole.submit({ code: fixture('tiny.py'), quality: 'low', format: 'gif' })).id);
    expect(gif.scenes[0]!.status).toBe('succeeded');
    expect(gif.scenes[0]!.live).toBeUndefined();
    const res = await whole.request('GET', playlistPath(gif, 'TinyCircle'));
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/mp4 renders/);

    const mp4 = await whole.waitFor((await whole.submit({ code: fixture('tiny.py'), quality: 'low' })).id);
    expect((await whole.request('GET', `/v1/renders/${mp4.id}/scenes/TinyCircle/live/0.ts`)).status).toBe(200);
    const missing = await whole.request('GET', `/v1/renders/${mp4.id}/scenes/TinyCircle/live/99.ts`);
    expect(missing.status).toBe(404);
    expect((await whole.request('GET', `/v1/renders/${mp4.id}/scenes/TinyCircle/live/x.ts`)).status).toBe(400);
  });
});

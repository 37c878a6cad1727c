import { livePlaylist, toM3u8 } from '../../../../src/domain/live/live-playlist';
import { withLiveSegments } from '../../../../src/domain/live/record-live-segments';
import type { SceneRecord } from '../../../../src/domain/job';

const scene = (status: SceneRecord['status'], indices: number[]): SceneRecord => ({
  name: 'S',
  status,
  progress: 0,
  attempts: 1,
  updatedAt: '2030-01-01T00:00:00.000Z',
  ...(indices.length > 0 && { live: { segments: indices.map((index) => ({ index, seconds: 1 + index / 10 })) } }),
});

describe('live segments on a scene record', () => {
  it('records each index once, in index order, whatever order deliveries record them in', () => {
    const first = withLiveSegments(scene('rendering', []), [{ index: 2, seconds: 1 }, { index: 0, seconds: 2 }])!;
    expect(first.live!.segments.map((s) => s.index)).toEqual([0, 2]);
    const second = withLiveSegments(first, [{ index: 1, seconds: 3 }, { index: 2, seconds: 9 }])!;
    expect(second.live!.segments).toEqual([{ index: 0, seconds: 2 }, { index: 1, seconds: 3 }, { index: 2, seconds: 1 }]);
    // Nothing new: no write.
    expect(withLiveSegments(second, [{ index: 1, seconds: 3 }])).toBeNull();
  });
});

describe('the live playlist', () => {
  it('lists a rendering scene from its first animation up to the first one not yet recorded', () => {
    // Parts render at once: animations 4 and 5 (a later part) are done before 2 and 3.
    expect(livePlaylist(scene('rendering', [0, 1, 4, 5])).segments.map((s) => s.index)).toEqual([0, 1]);
    expect(livePlaylist(scene('rendering', [1, 2])).segments).toEqual([]);
    expect(livePlaylist(scene('rendering', [0, 1, 4, 5])).ended).toBe(false);
  });

  it('lists whatever was recorded once the scene is over, and ends', () => {
    expect(livePlaylist(scene('succeeded', [0, 1, 3]))).toEqual({ segments: [{ index: 0, seconds: 1 }, { index: 1, seconds: 1.1 }, { index: 3, seconds: 1.3 }], ended: true });
    expect(livePlaylist(scene('failed', [0]))).toMatchObject({ ended: true });
    expect(livePlaylist(scene('cancelled', []))).toEqual({ segments: [], ended: true });
  });

  it('writes HLS version 3 (EVENT) with a target duration no segment exceeds, and ENDLIST only at the end', () => {
    const live = toM3u8({ segments: [{ index: 0, seconds: 1.533333 }, { index: 1, seconds: 2.6 }], ended: false }, (i) => `live/${i}.ts`);
    expect(live).toBe(
      ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-PLAYLIST-TYPE:EVENT', '#EXT-X-TARGETDURATION:3', '#EXT-X-MEDIA-SEQUENCE:0', '#EXTINF:1.533333,', 'live/0.ts', '#EXTINF:2.600000,', 'live/1.ts', ''].join('\n'),
    );
    expect(toM3u8({ segments: [{ index: 0, seconds: 0.5 }], ended: true }, (i) => `${i}.ts`)).toMatch(/#EXT-X-TARGETDURATION:1\n[\s\S]*#EXT-X-ENDLIST\n$/);
  });
});

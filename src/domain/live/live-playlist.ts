import { isTerminal, type SceneRecord } from '../job';
import type { LiveSegment } from './live-segment';

export interface LivePlaylist {
  /** What a player may be given now, in playing order. */
  segments: LiveSegment[];
  /** No segment will be added: the scene is over. */
  ended: boolean;
}

/**
 * The segments of a scene a player can be given now. An EVENT playlist only ever grows at its end, so it lists
 * the animations from the first one on up to the first not yet recorded: the parts of a split scene render at
 * once, yet each part's animations are listed only after those of the parts before it. Once the scene is over,
 * whatever was recorded is listed.
 */
export function livePlaylist(scene: SceneRecord): LivePlaylist {
  const recorded = scene.live?.segments ?? [];
  const ended = isTerminal(scene.status);
  if (ended) return { segments: recorded, ended };
  const segments: LiveSegment[] = [];
  for (const segment of recorded) {
    if (segment.index !== segments.length) break;
    segments.push(segment);
  }
  return { segments, ended };
}

/** The playlist as HLS text (RFC 8216, version 3): `uri` names each segment, relative to the playlist. */
export function toM3u8(playlist: LivePlaylist, uri: (index: number) => string): string {
  const longest = Math.max(1, ...playlist.segments.map((segment) => Math.round(segment.seconds)));
  const lines = ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-PLAYLIST-TYPE:EVENT', `#EXT-X-TARGETDURATION:${longest}`, '#EXT-X-MEDIA-SEQUENCE:0'];
  for (const segment of playlist.segments) lines.push(`#EXTINF:${segment.seconds.toFixed(6)},`, uri(segment.index));
  if (playlist.ended) lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}

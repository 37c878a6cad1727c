/**
 * Live playback: while a scene renders, each animation its worker finished is a segment of an HLS playlist
 * (EVENT), stored like the scene's other files and listed in order. See docs/clients.md, "Watching a render live".
 */

/** One recorded segment: the animation it holds (its index in the scene) and how long it plays. */
export interface LiveSegment {
  index: number;
  seconds: number;
}

/** What a scene record keeps of its live segments, in index order, each index once. */
export interface SceneLive {
  segments: LiveSegment[];
}

/** A segment a render's worker finished, taken out of its sandbox into a file of the service's own. */
export interface LiveSegmentFile extends LiveSegment {
  filePath: string;
  bytes: number;
}

export const LIVE_SEGMENT_CONTENT_TYPE = 'video/mp2t';

/** A finished segment never changes: a browser, or a CDN in front of the bucket, may keep it for good. */
export const LIVE_SEGMENT_CACHE_CONTROL = 'private, max-age=31536000, immutable';

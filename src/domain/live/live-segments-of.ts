import type { JobRecord } from '../job';
import { LiveSegmentPublisher, type LiveSegmentPublisherDeps } from './live-segment-publisher';

/** The publisher of a scene's live segments, for the formats that stream (mp4: H.264 in MPEG-TS segments). */
export function liveSegmentsOf(deps: LiveSegmentPublisherDeps, job: JobRecord, scene: string): LiveSegmentPublisher | undefined {
  return job.format === 'mp4' ? new LiveSegmentPublisher(deps, { jobId: job.id, scene }) : undefined;
}

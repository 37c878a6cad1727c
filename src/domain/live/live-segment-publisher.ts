import type { Logger } from '../../logging/logger';
import { liveSegmentKey } from '../blob-keys';
import type { BlobStore } from '../ports/blob-store';
import type { Clock } from '../ports/clock';
import type { JobStore } from '../ports/job-store';
import { LIVE_SEGMENT_CACHE_CONTROL, LIVE_SEGMENT_CONTENT_TYPE, type LiveSegment, type LiveSegmentFile } from './live-segment';
import { withLiveSegments } from './record-live-segments';

/**
 * One scene's segments are recorded on its record no more often than this: Firestore keeps up about one write a
 * second to a document, and short animations at low quality finish many times a second. The first is recorded at
 * once, so the stream can start as soon as there is something to play.
 */
export const LIVE_RECORD_INTERVAL_MS = 1000;

export interface LiveSegmentPublisherDeps {
  jobStore: JobStore;
  blobStore: BlobStore;
  clock: Clock;
  logger: Logger;
}

/**
 * Stores a rendering scene's live segments as they come (each an upload of its own) and records them on the scene
 * in batches. A segment whose job was deleted meanwhile is removed again, so no file outlives its job.
 * Never throws: the stream is a courtesy, the render's outcome never waits on its failures.
 */
export class LiveSegmentPublisher {
  private pending: LiveSegment[] = [];
  private writing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastWrite = 0;

  constructor(
    private readonly deps: LiveSegmentPublisherDeps,
    private readonly target: { jobId: string; scene: string },
  ) {}

  async publish(segment: LiveSegmentFile): Promise<void> {
    const key = liveSegmentKey(this.target.jobId, this.target.scene, segment.index);
    try {
      await this.deps.blobStore.putFile({ key, filePath: segment.filePath, contentType: LIVE_SEGMENT_CONTENT_TYPE, cacheControl: LIVE_SEGMENT_CACHE_CONTROL });
    } catch (error) {
      this.deps.logger.warn('live segment not stored', { index: segment.index, error: (error as Error).message });
      return;
    }
    this.pending.push({ index: segment.index, seconds: segment.seconds });
    this.schedule();
  }

  /** Records whatever is still pending, now. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.writing || this.pending.length > 0) {
      if (!this.writing) this.startWrite();
      await this.writing;
    }
  }

  private schedule(): void {
    if (this.timer || this.writing) return;
    const wait = Math.max(0, this.lastWrite + LIVE_RECORD_INTERVAL_MS - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.startWrite();
    }, wait);
  }

  private startWrite(): void {
    this.writing = this.write().finally(() => {
      this.writing = undefined;
      if (this.pending.length > 0) this.schedule();
    });
  }

  private async write(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    this.lastWrite = Date.now();
    const { jobId, scene } = this.target;
    try {
      const changed = await this.deps.jobStore.updateScene({ jobId, scene, now: this.deps.clock.now(), change: (record) => withLiveSegments(record, batch) });
      if (changed) return;
      // Nothing changed: every segment was recorded already (a redelivery), or the job is gone.
      if (await this.deps.jobStore.getJob({ id: jobId })) return;
      await Promise.all(batch.map((segment) => this.deps.blobStore.delete({ key: liveSegmentKey(jobId, scene, segment.index) })));
    } catch (error) {
      this.deps.logger.warn('live segments not recorded', { segments: batch.length, error: (error as Error).message });
    }
  }
}

import { Timestamp, type DocumentReference, type Firestore, type Query, type QuerySnapshot } from '@google-cloud/firestore';
import { ValidationError } from '../../domain/errors';
import { decodePageToken, encodePageToken } from '../../domain/page-token';
import type { JobPage } from '../../domain/ports/job-store';
import { toJob } from './firestore-job-documents';

/** The query continued after the job a page token names (tokens carry the last job's creation time and id). */
export function afterPageToken(query: Query, pageToken: string | undefined): Query {
  if (!pageToken) return query;
  const cursor = decodePageToken(pageToken);
  const createdAt = Date.parse(cursor.createdAt);
  if (Number.isNaN(createdAt)) throw new ValidationError('invalid_page_token', 'pageToken is not one this service issued');
  return query.startAfter(Timestamp.fromMillis(createdAt), cursor.id);
}

/**
 * A page of jobs from a query that asked for one more than `pageSize` (whose presence means a next page), with
 * every job's scenes read in one batch.
 */
export async function readJobPage(
  db: Firestore,
  found: QuerySnapshot,
  pageSize: number,
  sceneRef: (jobId: string, scene: string) => DocumentReference,
): Promise<JobPage> {
  const page = found.docs.slice(0, pageSize);
  const names = page.map((doc) => doc.get('sceneNames') as string[]);
  const sceneRefs = page.flatMap((doc, i) => names[i]!.map((name) => sceneRef(doc.id, name)));
  const sceneSnaps = sceneRefs.length > 0 ? await db.getAll(...sceneRefs) : [];
  let offset = 0;
  const jobs = page.flatMap((doc, i) => {
    const scenes = sceneSnaps.slice(offset, (offset += names[i]!.length));
    // A job deleted since the query ran has lost some of its scenes: it is gone.
    return scenes.every((s) => s.exists) ? [toJob(doc, scenes)] : [];
  });
  const last = jobs[jobs.length - 1];
  return found.docs.length > pageSize && last ? { jobs, nextPageToken: encodePageToken({ createdAt: last.createdAt, id: last.id }) } : { jobs };
}

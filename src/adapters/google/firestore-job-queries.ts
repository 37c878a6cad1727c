import { FieldPath, type Firestore, type Query } from '@google-cloud/firestore';

/**
 * Where FirestoreJobStore keeps jobs, and every query it issues. The store builds its queries from these shapes,
 * and test/unit/firestore-indexes.test.ts checks each against firestore.indexes.json: the emulator runs any query
 * without an index, production refuses one whose composite index is missing.
 */

/** `renderJobs/{jobId}`: the request, the owner, the summarised status (for listing) and times. */
export const JOBS_COLLECTION = 'renderJobs';
/** `renderJobs/{jobId}/scenes/{scene}`: one document per scene, so scenes of one job update independently. */
export const SCENES_COLLECTION = 'scenes';

/** Firestore's name for ordering by document id. */
export const DOCUMENT_ID = '__name__';

export interface FirestoreQueryShape {
  collectionGroup: string;
  /** Fields filtered with `==` (or `in`, a disjunction of equalities), in the order the query applies them. */
  equality: readonly string[];
  orderBy: ReadonlyArray<{ field: string; direction: 'asc' | 'desc' }>;
}

const newestFirst = [
  { field: 'createdAt', direction: 'desc' },
  { field: DOCUMENT_ID, direction: 'desc' },
] as const;

export const firestoreJobQueries = {
  /** An owner's jobs, newest first; the id breaks ties between jobs created in the same millisecond. */
  jobsByOwner: { collectionGroup: JOBS_COLLECTION, equality: ['owner'], orderBy: newestFirst },
  /** The same, with one summarised status. */
  jobsByOwnerAndStatus: { collectionGroup: JOBS_COLLECTION, equality: ['owner', 'status'], orderBy: newestFirst },
  /**
   * An owner's unfinished jobs (`status in [queued, rendering]`), for the quota. Ordered like the listing, which the
   * quota does not need, so that it runs on the listing's composite index rather than on index merging.
   */
  activeJobsOfOwner: { collectionGroup: JOBS_COLLECTION, equality: ['owner', 'status'], orderBy: newestFirst },
  /** Every principal's unfinished jobs (`status in [queued, rendering]`), oldest first, for the repair of lost work. */
  unfinishedJobs: {
    collectionGroup: JOBS_COLLECTION,
    equality: ['status'],
    orderBy: [
      { field: 'createdAt', direction: 'asc' },
      { field: DOCUMENT_ID, direction: 'asc' },
    ],
  },
} satisfies Record<string, FirestoreQueryShape>;

/** The Firestore query of a shape; `values` gives each equality field's value (an array means `in`). */
export function buildQuery(db: Firestore, shape: FirestoreQueryShape, values: Record<string, string | string[] | undefined>): Query {
  let query: Query = db.collection(shape.collectionGroup);
  for (const field of shape.equality) {
    const value = values[field];
    if (value === undefined) throw new Error(`query on ${shape.collectionGroup} needs a value for ${field}`);
    query = Array.isArray(value) ? query.where(field, 'in', value) : query.where(field, '==', value);
  }
  for (const { field, direction } of shape.orderBy) {
    query = query.orderBy(field === DOCUMENT_ID ? FieldPath.documentId() : field, direction);
  }
  return query;
}

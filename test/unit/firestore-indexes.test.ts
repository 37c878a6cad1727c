import fs from 'node:fs';
import path from 'node:path';
import { DOCUMENT_ID, firestoreJobQueries, type FirestoreQueryShape } from '../../src/adapters/google/firestore-job-queries';

/**
 * The Firestore emulator runs any query without an index; production refuses a query whose composite index is
 * missing (FAILED_PRECONDITION, "The query requires an index"). So every query FirestoreJobStore issues is checked
 * here against firestore.indexes.json, with Firestore's rules for which index serves which query.
 */

interface IndexField {
  fieldPath: string;
  order?: 'ASCENDING' | 'DESCENDING';
  arrayConfig?: 'CONTAINS';
}
interface CompositeIndex {
  collectionGroup: string;
  queryScope: 'COLLECTION' | 'COLLECTION_GROUP';
  fields: IndexField[];
}
interface FieldOverride {
  collectionGroup: string;
  fieldPath: string;
  ttl?: boolean;
  indexes: unknown[];
}
interface IndexFile {
  indexes: CompositeIndex[];
  fieldOverrides?: FieldOverride[];
}

const indexFile = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'firestore.indexes.json'), 'utf8')) as IndexFile;
const queries = Object.entries(firestoreJobQueries) as Array<[string, FirestoreQueryShape]>;

const ORDER = { asc: 'ASCENDING', desc: 'DESCENDING' } as const;

/**
 * Equality filters alone (with at most an order by document id) are served by merging the automatic single-field
 * indexes, as is one order on a field nothing else filters. Equality on some fields plus an order on another field,
 * or several orders, need a composite index.
 */
function needsComposite(query: FirestoreQueryShape): boolean {
  const orders = query.orderBy.filter((o) => o.field !== DOCUMENT_ID);
  if (orders.length === 0) return false;
  return !(orders.length === 1 && query.equality.every((field) => field === orders[0]!.field));
}

/**
 * A composite index serves a query when its fields are the query's equality fields (in any order) followed by its
 * order-by fields in the same order and directions. Every index ends with `__name__`: explicitly, or implicitly in
 * the direction of its last field; a query ordering by document id needs that direction.
 */
function serves(index: CompositeIndex, query: FirestoreQueryShape): boolean {
  if (index.collectionGroup !== query.collectionGroup || index.queryScope !== 'COLLECTION') return false;
  const fields = [...index.fields];
  const explicitName = fields[fields.length - 1]?.fieldPath === DOCUMENT_ID ? fields.pop() : undefined;
  const nameOrder = explicitName?.order ?? fields[fields.length - 1]?.order ?? 'ASCENDING';
  const equality = new Set(query.equality);
  const prefix = fields.slice(0, equality.size);
  if (prefix.length !== equality.size || !prefix.every((f) => equality.has(f.fieldPath) && f.order !== undefined)) return false;
  const orders = query.orderBy.filter((o) => o.field !== DOCUMENT_ID);
  const rest = fields.slice(equality.size);
  if (rest.length !== orders.length || !rest.every((f, i) => f.fieldPath === orders[i]!.field && f.order === ORDER[orders[i]!.direction])) {
    return false;
  }
  const byName = query.orderBy.find((o) => o.field === DOCUMENT_ID);
  return !byName || ORDER[byName.direction] === nameOrder;
}

/** The queries of `shapes` that production would refuse with these indexes. */
function missingIndexes(shapes: Array<[string, FirestoreQueryShape]>, indexes: CompositeIndex[]): string[] {
  return shapes.filter(([, q]) => needsComposite(q) && !indexes.some((index) => serves(index, q))).map(([name]) => name);
}

describe('firestore.indexes.json', () => {
  it('declares an index for every query FirestoreJobStore issues', () => {
    expect(missingIndexes(queries, indexFile.indexes)).toEqual([]);
  });

  it('fails the check when any one of its composite indexes is removed', () => {
    for (const removed of indexFile.indexes) {
      const rest = indexFile.indexes.filter((index) => index !== removed);
      expect(missingIndexes(queries, rest)).not.toEqual([]);
    }
  });

  it('declares no composite index that no query uses', () => {
    const unused = indexFile.indexes.filter((index) => !queries.some(([, q]) => needsComposite(q) && serves(index, q)));
    expect(unused).toEqual([]);
  });

  it('keeps single-field indexes on every field a query relies on them for', () => {
    const exempt = new Set((indexFile.fieldOverrides ?? []).filter((o) => o.indexes.length === 0).map((o) => `${o.collectionGroup}.${o.fieldPath}`));
    const relied = queries
      .filter(([, q]) => !needsComposite(q))
      .flatMap(([, q]) => [...q.equality, ...q.orderBy.map((o) => o.field)].map((field) => `${q.collectionGroup}.${field}`));
    expect(relied.filter((field) => exempt.has(field))).toEqual([]);
  });

  it('has a TTL policy on expireAt for the jobs, their scenes and idempotency keys', () => {
    const ttl = (indexFile.fieldOverrides ?? []).filter((o) => o.ttl).map((o) => `${o.collectionGroup}.${o.fieldPath}`);
    expect(ttl.sort()).toEqual(['idempotencyKeys.expireAt', 'renderJobs.expireAt', 'scenes.expireAt']);
  });
});

describe('the index rules the check applies', () => {
  const query = (equality: string[], orderBy: FirestoreQueryShape['orderBy'] = []): FirestoreQueryShape => ({
    collectionGroup: 'c',
    equality,
    orderBy,
  });
  const index = (...fields: IndexField[]): CompositeIndex => ({ collectionGroup: 'c', queryScope: 'COLLECTION', fields });

  it('needs no composite index for equality filters alone, or for one order on a field nothing else filters', () => {
    expect(needsComposite(query(['a', 'b']))).toBe(false);
    expect(needsComposite(query(['a'], [{ field: DOCUMENT_ID, direction: 'desc' }]))).toBe(false);
    expect(needsComposite(query([], [{ field: 'a', direction: 'desc' }]))).toBe(false);
    expect(needsComposite(query(['a'], [{ field: 'a', direction: 'asc' }]))).toBe(false);
  });

  it('needs one for an equality filter with an order on another field', () => {
    const q = query(['owner'], [{ field: 'createdAt', direction: 'desc' }]);
    expect(needsComposite(q)).toBe(true);
    expect(missingIndexes([['q', q]], [])).toEqual(['q']);
    expect(serves(index({ fieldPath: 'owner', order: 'ASCENDING' }, { fieldPath: 'createdAt', order: 'DESCENDING' }), q)).toBe(true);
  });

  it('refuses an index with the wrong direction, the wrong field order, or another collection', () => {
    const q = query(['owner'], [{ field: 'createdAt', direction: 'desc' }]);
    expect(serves(index({ fieldPath: 'owner', order: 'ASCENDING' }, { fieldPath: 'createdAt', order: 'ASCENDING' }), q)).toBe(false);
    expect(serves(index({ fieldPath: 'createdAt', order: 'DESCENDING' }, { fieldPath: 'owner', order: 'ASCENDING' }), q)).toBe(false);
    expect(serves({ ...index({ fieldPath: 'owner', order: 'ASCENDING' }, { fieldPath: 'createdAt', order: 'DESCENDING' }), collectionGroup: 'd' }, q)).toBe(false);
  });

  it('orders by document id in the direction of the index’s last field unless __name__ is given', () => {
    const q = query(['owner'], [{ field: 'createdAt', direction: 'desc' }, { field: DOCUMENT_ID, direction: 'asc' }]);
    expect(serves(index({ fieldPath: 'owner', order: 'ASCENDING' }, { fieldPath: 'createdAt', order: 'DESCENDING' }), q)).toBe(false);
    const explicit = index({ fieldPath: 'owner', order: 'ASCENDING' }, { fieldPath: 'createdAt', order: 'DESCENDING' }, { fieldPath: DOCUMENT_ID, order: 'ASCENDING' });
    expect(serves(explicit, q)).toBe(true);
  });

  it('accepts the equality fields of an index in any order', () => {
    const q = query(['owner', 'status'], [{ field: 'createdAt', direction: 'desc' }]);
    const reordered = index({ fieldPath: 'status', order: 'ASCENDING' }, { fieldPath: 'owner', order: 'DESCENDING' }, { fieldPath: 'createdAt', order: 'DESCENDING' });
    expect(serves(reordered, q)).toBe(true);
  });
});

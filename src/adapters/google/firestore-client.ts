import { Firestore } from '@google-cloud/firestore';

/** Where a Firestore adapter connects: the project's database, or the emulator in tests. */
export interface FirestoreConnection {
  projectId: string;
  databaseId?: string;
  /** host:port of the Firestore emulator (plain text, no credentials); unset in production. */
  emulatorHost?: string;
}

/** A Firestore client for one adapter. Optional record fields are left out of documents, not stored as null. */
export function createFirestoreClient(connection: FirestoreConnection): Firestore {
  return new Firestore({
    projectId: connection.projectId,
    ...(connection.databaseId ? { databaseId: connection.databaseId } : {}),
    ...(connection.emulatorHost ? { host: connection.emulatorHost, ssl: false } : {}),
    ignoreUndefinedProperties: true,
  });
}

/** How an API key is kept: never the key itself, only a hash of its secret part. */
export interface ApiKeyRecord {
  keyId: string;
  /** The principal every job made with this key belongs to. */
  principal: string;
  secretHash: string;
  createdAt: string;
  revokedAt?: string;
}

/** Where API key records live (hashes only). Implementations: SQLite (embedded) and Firestore. */
export interface ApiKeyStore {
  putKey(params: { record: ApiKeyRecord }): Promise<void>;
  getKey(params: { keyId: string }): Promise<ApiKeyRecord | null>;
  /** Returns false if there was no such key. */
  revokeKey(params: { keyId: string; now: Date }): Promise<boolean>;
  listKeys(): Promise<ApiKeyRecord[]>;
}

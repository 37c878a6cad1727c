/** Where an earlier render of the same thing can be found. */
export interface CachedRender {
  jobId: string;
  scene: string;
}

/**
 * Remembers, per principal, which scene rendered each render key (code, scene, quality, format, Manim version,
 * seed). Entries only point at scenes: a hit is checked against the job store, so deleting or expiring a job
 * also ends its cache entries. Implementations: SQLite (embedded) and Firestore.
 */
export interface ResultCache {
  remember(params: { owner: string; key: string; render: CachedRender }): Promise<void>;
  lookup(params: { owner: string; key: string }): Promise<CachedRender | null>;
}

/**
 * Which Cloud Storage prefixes each principal may name as a batch source (the operator's `BATCH_SOURCES`). The
 * ingress reads a source with its own service account, which can read more than any one caller should (other
 * tenants' buckets, the service's own): a principal may name only a prefix at or below one allowed to it.
 */
export type BatchSourcePolicy = Readonly<Record<string, readonly string[]>>;

export function mayReadBatchSource(policy: BatchSourcePolicy, params: { owner: string; prefix: string }): boolean {
  const allowed = Object.hasOwn(policy, params.owner) ? policy[params.owner]! : [];
  // Both end with '/' (the schema requires it), so a prefix match cannot run into a sibling (nightly/ vs nightly-x/).
  return allowed.some((prefix) => params.prefix.startsWith(prefix));
}

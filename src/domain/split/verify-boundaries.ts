import type { ScenePart } from '../job';

/**
 * Whether the rendered parts of a split scene agree where they meet. A part that starts at a boundary skipped the
 * animations before it; the part that ends there rendered them. Their descriptions of the scene's state must be
 * the same, and the skipping part must not have skipped over a `dt` updater.
 *
 * Returns why the parts cannot be joined, or null while no rendered pair disagrees. Pairs with a part not yet
 * rendered are checked when it is.
 */
export function boundaryMismatch(parts: ScenePart[]): string | null {
  for (let i = 0; i + 1 < parts.length; i++) {
    const ending = parts[i]!.rendered;
    const starting = parts[i + 1]!.rendered;
    if (!ending || !starting) continue;
    const at = parts[i]!.upto;
    const where = `where part ${i + 1} ends and part ${i + 2} starts (after animation ${at})`;
    if (!ending.end || ending.end.after !== at) return `part ${i + 1} did not describe the scene ${where}`;
    if (!starting.start || starting.start.after !== at) return `part ${i + 2} did not describe the scene ${where}`;
    if (starting.start.timeBasedUpdatersSkipped) {
      return `a time-based (dt) updater ran during animations part ${i + 2} skipped: skipping advances it differently`;
    }
    const a = ending.end.fingerprint;
    const b = starting.start.fingerprint;
    const differing = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((key) => a[key] !== b[key]).sort();
    if (differing.length > 0) return `the scene's state differs ${where}: ${differing.join(', ')}`;
  }
  return null;
}

import type { Config } from './config';

/**
 * The most parts one scene is split into: SPLIT_MAX_PARTS, and in local mode no more than can render at once (a part
 * beyond that would only wait behind the others). On Cloud Run each part takes an instance of its own. 1: scenes are
 * never split.
 */
export function maxSplitParts(config: Pick<Config, 'MODE' | 'SPLIT_MAX_PARTS' | 'RENDER_CONCURRENCY'>): number {
  return config.MODE === 'local' ? Math.min(config.SPLIT_MAX_PARTS, config.RENDER_CONCURRENCY) : config.SPLIT_MAX_PARTS;
}

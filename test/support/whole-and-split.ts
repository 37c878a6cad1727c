import { startService, type ServiceHarness } from './service-harness';

/**
 * Two services side by side: one that renders every scene whole, and one that splits every scene with two animations
 * or more into up to three parts rendering at once (real Manim both), for tests that compare the two.
 */
export async function startWholeAndSplit(): Promise<{ whole: ServiceHarness; split: ServiceHarness }> {
  const [whole, split] = await Promise.all([
    startService({ SPLIT_MAX_PARTS: '1' }),
    startService({ RENDER_CONCURRENCY: '3', SPLIT_MAX_PARTS: '3', SPLIT_MIN_SCENE_SECONDS: '0', SPLIT_MIN_PART_SECONDS: '0.4' }),
  ]);
  return { whole, split };
}

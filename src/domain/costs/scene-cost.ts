import type { Cost } from '../../contracts/cost';
import type { JobRecord, SceneRecord } from '../job';
import type { ResourceUsage } from './resource-usage';

/** What nothing costs: a scene reused from the cache, or not rendered yet. */
export const NO_COST: Cost = { cpuSeconds: 0, wallSeconds: 0, peakMemoryBytes: 0, instanceSeconds: 0, estimatedUsd: 0 };

/** Several costs as one: times and money add up, the peak is the largest, the prices named are the newest. */
export function sumCosts(costs: Iterable<Cost | ResourceUsage>): Cost {
  let cpuSeconds: number | null = null;
  let peakMemoryBytes: number | null = null;
  let wallSeconds = 0;
  let instanceSeconds = 0;
  let estimatedUsd = 0;
  let pricedAt: string | undefined;
  for (const cost of costs) {
    if (cost.cpuSeconds !== null) cpuSeconds = (cpuSeconds ?? 0) + cost.cpuSeconds;
    if (cost.peakMemoryBytes !== null) peakMemoryBytes = Math.max(peakMemoryBytes ?? 0, cost.peakMemoryBytes);
    wallSeconds += cost.wallSeconds;
    instanceSeconds += cost.instanceSeconds;
    estimatedUsd += cost.estimatedUsd;
    if (cost.pricedAt !== undefined && (pricedAt === undefined || cost.pricedAt > pricedAt)) pricedAt = cost.pricedAt;
  }
  if (wallSeconds === 0 && instanceSeconds === 0 && cpuSeconds === null) return NO_COST;
  return {
    cpuSeconds: cpuSeconds === null ? null : round(cpuSeconds),
    wallSeconds: round(wallSeconds),
    peakMemoryBytes,
    instanceSeconds: round(instanceSeconds),
    estimatedUsd: Math.round(estimatedUsd * 1e9) / 1e9,
    ...(pricedAt !== undefined && { pricedAt }),
  };
}

/**
 * What a scene cost so far: its whole render (or its parts' join) and every part rendered of it, including parts
 * of a split that fell back to a whole render (they were rendered, and paid for). A cache hit cost nothing.
 */
export function sceneCost(scene: SceneRecord): Cost {
  if (scene.cacheHit) return NO_COST;
  const usages: ResourceUsage[] = [];
  if (scene.usage) usages.push(scene.usage);
  for (const part of scene.split?.parts ?? []) if (part.rendered?.usage) usages.push(part.rendered.usage);
  return sumCosts(usages);
}

function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}

/** What a job cost so far: its scenes' costs together. */
export function jobCost(job: Pick<JobRecord, 'scenes'>): Cost {
  return sumCosts(job.scenes.map(sceneCost));
}

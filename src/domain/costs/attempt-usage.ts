import type { Quality } from '../../contracts/quality';
import type { Logger } from '../../logging/logger';
import type { RenderAttempt } from '../ports/scene-renderer';
import { usageRecord, type Pricing } from './price-table';
import type { ResourceUsage } from './resource-usage';

/** What an attempt rendered: a scene whole, one range of a split scene, or the join of its ranges. */
export type UsageKind = 'whole' | 'part' | 'join';

/**
 * The usage record of one attempt, made when its outcome is recorded (the instance was held from the delivery's
 * start until now), and logged as one `render cost` line, which the monitoring's cost metrics read
 * (monitoring/log-metrics/). Without pricing (a renderer composed without it), nothing is recorded.
 */
export function attemptUsage(
  attempt: RenderAttempt,
  params: { deliveryStartedAt: Date; now: Date; pricing?: Pricing; kind: UsageKind; quality: Quality; log: Logger },
): ResourceUsage | undefined {
  if (!params.pricing) return undefined;
  const usage = usageRecord({
    sandbox: attempt.sandboxUsage,
    wallSeconds: attempt.renderSeconds,
    instanceSeconds: (params.now.getTime() - params.deliveryStartedAt.getTime()) / 1000,
    pricing: params.pricing,
  });
  params.log.info('render cost', { kind: params.kind, quality: params.quality, ...usage });
  return usage;
}

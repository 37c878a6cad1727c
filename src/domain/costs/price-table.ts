import type { ResourceUsage, SandboxUsage } from './resource-usage';

/**
 * Cloud Run's prices of an instance's resources, and the day they were read. Overridable in config (COST_*), for
 * another region, tier, billing mode or a negotiated price.
 */
export interface PriceTable {
  pricedAt: string;
  vcpuSecondUsd: number;
  gibSecondUsd: number;
}

/** What one renderer instance holds (service.yaml: 2 vCPU, 4 GiB). */
export interface InstanceSize {
  vcpus: number;
  memoryGiB: number;
}

export interface Pricing {
  prices: PriceTable;
  instance: InstanceSize;
}

/**
 * Cloud Run's published prices (cloud.google.com/run/pricing) for Tier 1 regions (e.g. us-central1) with instance-
 * based billing, which the renderer runs with (service.yaml: CPU always allocated, so the warm worker can start
 * between tasks), read on the day given; without the free tier. An instance's idle time between tasks is charged
 * to no render.
 */
export const DEFAULT_PRICES: PriceTable = { pricedAt: '2026-12-06', vcpuSecondUsd: 0.000018, gibSecondUsd: 0.000002 };

/** Cloud Run bills an instance's time in 100-ms steps. */
const BILLING_STEP_SECONDS = 0.1;

export function estimateUsd(instanceSeconds: number, pricing: Pricing): number {
  const billed = Math.ceil(instanceSeconds / BILLING_STEP_SECONDS - 1e-9) * BILLING_STEP_SECONDS;
  const perSecond = pricing.instance.vcpus * pricing.prices.vcpuSecondUsd + pricing.instance.memoryGiB * pricing.prices.gibSecondUsd;
  return billed * perSecond;
}

/** The usage record of one render, part or join: what its sandbox measured, its wall time, the instance's time. */
export function usageRecord(params: { sandbox: SandboxUsage | undefined; wallSeconds: number; instanceSeconds: number; pricing: Pricing }): ResourceUsage {
  const { sandbox, pricing } = params;
  const instanceSeconds = Math.max(params.instanceSeconds, params.wallSeconds);
  return {
    cpuSeconds: sandbox ? round(sandbox.cpuSeconds) : null,
    wallSeconds: round(params.wallSeconds),
    peakMemoryBytes: sandbox ? sandbox.peakMemoryBytes : null,
    instanceSeconds: round(instanceSeconds),
    estimatedUsd: estimateUsd(instanceSeconds, pricing),
    pricedAt: pricing.prices.pricedAt,
  };
}

function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}

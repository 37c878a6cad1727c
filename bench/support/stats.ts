/** Order statistics of a small sample; every figure the benchmarks print comes through here. */
export interface Summary {
  n: number;
  median: number;
  min: number;
  max: number;
  p99?: number;
}

/** The q-quantile (0..1) by linear interpolation between closest ranks. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.ceil(position);
  return sorted[below]! + (sorted[above]! - sorted[below]!) * (position - below);
}

export function median(values: number[]): number {
  return quantile(values, 0.5);
}

export function summarize(values: number[]): Summary {
  return {
    n: values.length,
    median: median(values),
    min: values.length ? Math.min(...values) : Number.NaN,
    max: values.length ? Math.max(...values) : Number.NaN,
  };
}

/** "1.23 s (1.10–1.40)": the median and, with more than one run, the range of the runs. */
export function seconds(summary: Summary, digits = 2): string {
  if (!Number.isFinite(summary.median)) return 'n/a';
  const range = summary.n > 1 ? ` (${summary.min.toFixed(digits)}–${summary.max.toFixed(digits)})` : '';
  return `${summary.median.toFixed(digits)} s${range}`;
}

export function millis(summary: Summary): string {
  if (!Number.isFinite(summary.median)) return 'n/a';
  const range = summary.n > 1 ? ` (${Math.round(summary.min)}–${Math.round(summary.max)})` : '';
  return `${Math.round(summary.median)} ms${range}`;
}

export function ratio(value: number, digits = 2): string {
  return Number.isFinite(value) ? `${value.toFixed(digits)}×` : 'n/a';
}

export function mib(bytes: number): string {
  return Number.isFinite(bytes) && bytes > 0 ? `${(bytes / 1024 / 1024).toFixed(0)} MiB` : 'n/a';
}

import type { BatchView } from '../client';
import { alignRows } from './align-rows';
import { percent } from './format-job';

/** A batch's progress in a few words: `batch ID  rendering  50%  1 rendering, 1 failed`. */
export function formatBatchLine(batch: BatchView): string {
  const counts = Object.entries(batch.counts)
    .filter(([, n]) => n > 0)
    .map(([status, n]) => `${n} ${status}`)
    .join(', ');
  return `batch ${batch.id}${batch.name ? ` (${batch.name})` : ''}  ${batch.status}  ${percent(batch.progress)}  ${counts}`;
}

/** A batch: its summary line, then one line per item with its job or its submit-time error. */
export function formatBatch(batch: BatchView): string {
  const items = alignRows(
    batch.items.map((item) => [
      `  #${item.index}`,
      item.source ?? '',
      item.jobId ?? '-',
      item.status,
      item.error ? `${item.error.code}: ${item.error.message}` : item.reused ? 'reused' : '',
    ]),
  );
  return [formatBatchLine(batch), ...items].join('\n');
}

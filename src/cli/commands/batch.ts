import path from 'node:path';
import type { BatchView, CreateBatchRequestInput } from '../../client';
import { abortableSleep } from '../../client/abortable-sleep';
import type { CliCommand } from '../cli-command';
import type { CliContext } from '../cli-context';
import { formatOption, integerOption, qualityOption, RENDER_OPTIONS, stringOption } from '../command-input';
import { formatBatch, formatBatchLine } from '../format-batch';
import { readSceneFile } from '../read-scene-file';
import { UsageError } from '../usage-error';

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

/** Polls a batch until every item is terminal, printing a line when its counts change. */
async function followBatch(context: CliContext, batch: BatchView): Promise<BatchView | undefined> {
  let last = '';
  try {
    for (;;) {
      if (TERMINAL.has(batch.status)) return batch;
      const line = formatBatchLine(batch);
      if (line !== last) context.say(line);
      last = line;
      await abortableSleep(1000, context.io.interrupt);
      batch = await context.client().getBatch(batch.id, { signal: context.io.interrupt });
    }
  } catch (error) {
    if (!context.io.interrupt.aborted) throw error;
    context.io.stderr.write(`stopped waiting; batch ${batch.id} goes on\n`);
    return undefined;
  }
}

export const batchCommand: CliCommand = {
  name: 'batch',
  args: 'FILE... | --gcs-prefix gs://BUCKET/PREFIX/  [--name N] [--quality Q] [--format F] [--timeout SECONDS] [--idempotency-key KEY] [--wait]',
  summary: 'submit many scene files as one batch (inline files, or every .py under a Cloud Storage prefix)',
  options: { ...RENDER_OPTIONS, 'gcs-prefix': { type: 'string' }, name: { type: 'string' } },
  async run(context, { positionals, values }) {
    const gcsPrefix = stringOption(values, 'gcs-prefix');
    if (gcsPrefix && positionals.length > 0) throw new UsageError('give scene files or --gcs-prefix, not both', 'batch');
    if (!gcsPrefix && positionals.length === 0) throw new UsageError('batch needs scene files or --gcs-prefix', 'batch');
    const quality = qualityOption(values);
    const format = formatOption(values);
    const timeoutSeconds = integerOption(values, 'timeout', 1, 3600);
    const name = stringOption(values, 'name');
    const defaults = { ...(quality && { quality }), ...(format && { format }), ...(timeoutSeconds && { timeoutSeconds }) };
    const request: CreateBatchRequestInput = {
      ...(name && { name }),
      ...(Object.keys(defaults).length > 0 && { defaults }),
      ...(gcsPrefix
        ? { source: { gcsPrefix } }
        : { items: await Promise.all(positionals.map(async (file) => ({ code: await readSceneFile(file), metadata: { file: path.basename(file) } }))) }),
    };
    const submitted = await context.client().batch(request, { idempotencyKey: stringOption(values, 'idempotency-key'), signal: context.io.interrupt });
    const batch = values.wait ? await followBatch(context, submitted) : submitted;
    if (!batch) return 130;
    if (context.json) context.printJson(batch);
    context.say(formatBatch(batch));
    return !values.wait || batch.status === 'succeeded' ? 0 : 1;
  },
};

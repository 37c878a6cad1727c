import type { CliCommand } from '../cli-command';
import { positionalsOf } from '../command-input';
import { formatBatch } from '../format-batch';
import { formatJob } from '../format-job';

export const statusCommand: CliCommand = {
  name: 'status',
  args: 'ID [--batch]',
  summary: "a job's status and its scenes (with --batch, a batch's items)",
  options: { batch: { type: 'boolean' } },
  async run(context, { positionals, values }) {
    const [id] = positionalsOf('status', positionals, ['ID']);
    if (values.batch) {
      const batch = await context.client().getBatch(id!, { signal: context.io.interrupt });
      if (context.json) context.printJson(batch);
      context.say(formatBatch(batch));
      return 0;
    }
    const job = await context.client().get(id!, { signal: context.io.interrupt });
    if (context.json) context.printJson(job);
    context.say(formatJob(job));
    return 0;
  },
};

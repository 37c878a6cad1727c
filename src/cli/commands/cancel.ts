import type { CliCommand } from '../cli-command';
import { positionalsOf } from '../command-input';
import { formatJob } from '../format-job';

export const cancelCommand: CliCommand = {
  name: 'cancel',
  args: 'ID',
  summary: 'cancel the unfinished scenes of a job',
  options: {},
  async run(context, { positionals }) {
    const [id] = positionalsOf('cancel', positionals, ['ID']);
    const job = await context.client().cancel(id!, { signal: context.io.interrupt });
    if (context.json) context.printJson(job);
    context.say(formatJob(job));
    return 0;
  },
};

import type { CliCommand } from '../cli-command';
import { positionalsOf } from '../command-input';

export const deleteCommand: CliCommand = {
  name: 'delete',
  args: 'ID',
  summary: 'stop a job and remove it and its files',
  options: {},
  async run(context, { positionals }) {
    const [id] = positionalsOf('delete', positionals, ['ID']);
    await context.client().delete(id!, { signal: context.io.interrupt });
    if (context.json) context.printJson({ id, deleted: true });
    context.say(`deleted job ${id}`);
    return 0;
  },
};

import type { CliCommand } from '../cli-command';
import { positionalsOf } from '../command-input';

export const logsCommand: CliCommand = {
  name: 'logs',
  args: 'ID SCENE',
  summary: "a finished scene's captured render output",
  options: {},
  async run(context, { positionals }) {
    const [id, scene] = positionalsOf('logs', positionals, ['ID', 'SCENE']);
    const text = await context.client().logs(id!, scene!, { signal: context.io.interrupt });
    if (context.json) context.printJson({ id, scene, log: text });
    else context.io.stdout.write(text.endsWith('\n') || text === '' ? text : `${text}\n`);
    return 0;
  },
};

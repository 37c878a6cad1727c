import { jobStatusSchema, type JobStatus } from '../../contracts/job';
import type { CliCommand } from '../cli-command';
import { integerOption, positionalsOf, stringOption } from '../command-input';
import { formatJobTable } from '../format-job';
import { UsageError } from '../usage-error';

export const listCommand: CliCommand = {
  name: 'list',
  args: '[--status S] [--page-size N] [--page-token T]',
  summary: 'your jobs, newest first, a page at a time',
  options: { status: { type: 'string' }, 'page-size': { type: 'string' }, 'page-token': { type: 'string' } },
  async run(context, { positionals, values }) {
    positionalsOf('list', positionals, []);
    const status = stringOption(values, 'status');
    if (status !== undefined && !jobStatusSchema.safeParse(status).success) {
      throw new UsageError(`--status must be one of ${jobStatusSchema.options.join(', ')}; got '${status}'`, 'list');
    }
    const page = await context.client().list({
      status: status as JobStatus | undefined,
      pageSize: integerOption(values, 'page-size', 1, 100),
      pageToken: stringOption(values, 'page-token'),
      signal: context.io.interrupt,
    });
    if (context.json) context.printJson(page);
    context.say(formatJobTable(page.jobs));
    if (page.nextPageToken) context.say(`more: manim-render list --page-token ${page.nextPageToken}`);
    return 0;
  },
};

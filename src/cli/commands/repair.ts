import { loadConfig } from '../../config/config';
import { systemClock } from '../../domain/ports/clock';
import { repairLostWork } from '../../domain/repair/repair-lost-work';
import { createLogger } from '../../logging/create-logger';
import type { CliCommand } from '../cli-command';
import { integerOption, positionalsOf } from '../command-input';
import { UsageError } from '../usage-error';

export const repairCommand: CliCommand = {
  name: 'repair',
  args: '[--after SECONDS]',
  summary:
    "queue again the work whose queue entry was lost (gcp mode; reads the service's settings, like keys). Cloud Scheduler runs it every 10 minutes; local mode runs it in-process",
  options: { after: { type: 'string' } },
  async run(context, { positionals, values }) {
    positionalsOf('repair', positionals, []);
    const config = loadConfig(context.io.env);
    if (config.MODE !== 'gcp') {
      throw new UsageError(`repair is for gcp mode: a local service repairs in-process every REPAIR_INTERVAL_SECONDS (${config.REPAIR_INTERVAL_SECONDS})`, 'repair');
    }
    const after = integerOption(values, 'after', 1, 7 * 24 * 3600) ?? config.REPAIR_AFTER_SECONDS;
    // Loaded only here: the CLI's other commands never need the Google clients.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { gcpJobStore, gcpTaskQueue } = require('../../adapters/compose-gcp') as typeof import('../../adapters/compose-gcp');
    const jobStore = gcpJobStore(config);
    try {
      const report = await repairLostWork(
        { jobStore, taskQueue: gcpTaskQueue(config), clock: systemClock, logger: createLogger({ level: 'error' }) },
        { staleAfterMs: after * 1000 },
      );
      if (context.json) context.printJson(report);
      context.say(
        `looked at ${report.jobs} unfinished job(s): ${report.requeued} scene(s) queued again, ${report.splitsResumed} split scene(s) resumed, ${report.waiting} waiting in the queue`,
      );
      return 0;
    } finally {
      await jobStore.close();
    }
  },
};

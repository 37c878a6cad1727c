import type { CliCommand } from '../cli-command';
import { batchCommand } from './batch';
import { cancelCommand } from './cancel';
import { deleteCommand } from './delete';
import { keysCommand } from './keys';
import { listCommand } from './list';
import { logsCommand } from './logs';
import { openCommand } from './open';
import { renderCommand } from './render';
import { repairCommand } from './repair';
import { statusCommand } from './status';

/** Every command, in the order help lists them. */
export const COMMANDS: CliCommand[] = [renderCommand, statusCommand, listCommand, logsCommand, cancelCommand, deleteCommand, batchCommand, openCommand, keysCommand, repairCommand];

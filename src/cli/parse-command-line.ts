import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import type { CliCommand, OptionValues } from './cli-command';
import { UsageError } from './usage-error';

/** Options every command takes. */
export const GLOBAL_OPTIONS: ParseArgsOptionsConfig = {
  url: { type: 'string' },
  'api-key': { type: 'string' },
  'gcloud-auth': { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

export interface CommandLine {
  command: CliCommand | undefined;
  positionals: string[];
  values: OptionValues;
}

function parse(argv: string[], options: ParseArgsOptionsConfig, strict: boolean, command?: string) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict });
  } catch (error) {
    // node's messages end with advice about `--`; the usage shown next says more.
    throw new UsageError((error as Error).message.split('\n')[0]!.replace(/\s*To specify a positional.*$/, ''), command);
  }
}

/**
 * Finds the command (the first positional; global options may come anywhere), then parses the line strictly with
 * only the global options and that command's own, so an option of another command is refused by name.
 */
export function parseCommandLine(argv: string[], commands: CliCommand[]): CommandLine {
  const all: ParseArgsOptionsConfig = { ...GLOBAL_OPTIONS };
  for (const command of commands) {
    for (const [name, option] of Object.entries(command.options)) {
      // The first pass knows every option so their values are not taken for the command; a name must mean one thing.
      if (all[name] && JSON.stringify(all[name]) !== JSON.stringify(option)) throw new Error(`option --${name} is defined two ways`);
      all[name] = option;
    }
  }
  const name = parse(argv, all, false).positionals[0];
  const command = commands.find((c) => c.name === name);
  if (name !== undefined && !command) throw new UsageError(`unknown command '${name}'`);
  const parsed = parse(argv, { ...GLOBAL_OPTIONS, ...command?.options }, true, command?.name);
  return { command, positionals: parsed.positionals.slice(1), values: parsed.values as OptionValues };
}

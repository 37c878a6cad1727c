import type { ParseArgsOptionsConfig } from 'node:util';
import type { CliContext } from './cli-context';

/** Parsed option values of one command line. */
export type OptionValues = Record<string, string | boolean | string[] | boolean[] | undefined>;

/** One `manim-render` command: its usage line, its own options, and what it does. Resolves with the exit status. */
export interface CliCommand {
  name: string;
  /** The arguments after the command's name, as shown in help. */
  args: string;
  summary: string;
  options: ParseArgsOptionsConfig;
  run(context: CliContext, input: { positionals: string[]; values: OptionValues }): Promise<number>;
}

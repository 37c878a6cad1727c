import { RenderServiceError } from '../client';
import { ConfigError } from '../config/config';
import { createCliContext, type CliIo } from './cli-context';
import { COMMANDS } from './commands';
import { parseCommandLine } from './parse-command-line';
import { usageHint, usageText } from './usage-text';
import { UsageError } from './usage-error';

/** Runs one command line; resolves with the process's exit status. Everything it touches comes in through `io`. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const json = argv.includes('--json');
  const fail = (status: number, message: string, extra: Record<string, unknown> = {}) => {
    io.stderr.write(json ? `${JSON.stringify({ error: { message, ...extra } })}\n` : `manim-render: ${message}\n`);
    return status;
  };
  let commandName: string | undefined;
  try {
    const { command, positionals, values } = parseCommandLine(argv, COMMANDS);
    commandName = command?.name;
    if (values.help) {
      io.stdout.write(`${usageText(COMMANDS, command?.name)}\n`);
      return 0;
    }
    if (!command) throw new UsageError('no command given');
    return await command.run(createCliContext(io, values), { positionals, values });
  } catch (error) {
    if (error instanceof UsageError) {
      return fail(2, json ? error.message : `${error.message}\n${usageHint(COMMANDS, error.command ?? commandName)}`);
    }
    if (error instanceof ConfigError) return fail(2, error.message);
    if (error instanceof RenderServiceError) {
      const line = (error.details as { line?: number } | undefined)?.line;
      const where = typeof line === 'number' ? ` (line ${line})` : '';
      return fail(1, `${error.message}${where} [${error.code}${error.status ? `, HTTP ${error.status}` : ''}]`, { code: error.code, status: error.status, details: error.details });
    }
    if (io.interrupt.aborted) return fail(130, 'interrupted');
    return fail(1, (error as Error).message ?? String(error));
  }
}

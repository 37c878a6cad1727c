import type { CliCommand } from './cli-command';
import { DEFAULT_URL } from './cli-context';

/** What to print after a usage error: the command's own usage, or where to find help. */
export function usageHint(commands: CliCommand[], command?: string): string {
  const known = commands.find((c) => c.name === command);
  return known ? `usage: manim-render ${known.name} ${known.args}` : 'see: manim-render --help';
}

/** Help for one command, or for all of them. */
export function usageText(commands: CliCommand[], only?: string): string {
  const shown = only ? commands.filter((c) => c.name === only) : commands;
  const lines = shown.map((c) => `  manim-render ${c.name} ${c.args}\n      ${c.summary}`);
  return [
    'usage:',
    ...lines,
    '',
    'options for every command:',
    `  --url URL        the service (default: $MANIM_RENDER_URL, else ${DEFAULT_URL})`,
    '  --api-key KEY    authenticate with an API key (default: $MANIM_RENDER_API_KEY)',
    '  --gcloud-auth    authenticate with `gcloud auth print-identity-token` (audience: the URL)',
    '  --json           print JSON for scripts',
    '',
    'exit status: 0 done, 1 failed (a request, or a render followed with --wait), 2 usage error, 130 interrupted',
  ].join('\n');
}

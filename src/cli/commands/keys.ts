import { mintApiKey } from '../../auth/api-keys';
import { loadConfig } from '../../config/config';
import type { ApiKeyRecord } from '../../domain/ports/api-key-store';
import { alignRows } from '../align-rows';
import type { CliCommand } from '../cli-command';
import type { CliContext } from '../cli-context';
import { positionalsOf, stringOption } from '../command-input';
import { openKeyStore } from '../open-key-store';
import { UsageError } from '../usage-error';

/** A key record without its hash: what an operator may see. */
const shown = ({ keyId, principal, createdAt, revokedAt }: ApiKeyRecord) => ({ keyId, principal, createdAt, ...(revokedAt && { revokedAt }) });

function table(records: ApiKeyRecord[]): string {
  if (records.length === 0) return 'no keys';
  return alignRows([['KEY ID', 'PRINCIPAL', 'CREATED', 'REVOKED'], ...records.map((r) => [r.keyId, r.principal, r.createdAt, r.revokedAt ?? ''])]).join('\n');
}

async function runKeys(context: CliContext, sub: string, args: string[], principal: string | undefined): Promise<number> {
  // The same settings the service reads: the key store is wherever that service keeps it.
  const { store, close } = openKeyStore(loadConfig(context.io.env));
  try {
    if (sub === 'create') {
      positionalsOf('keys create', args, []);
      if (!principal || !/^[A-Za-z0-9._@-]{1,100}$/.test(principal)) {
        throw new UsageError('keys create needs --principal NAME (letters, digits, . _ @ -, at most 100)', 'keys');
      }
      const { key, record } = mintApiKey({ principal, now: new Date() });
      await store.putKey({ record });
      if (context.json) context.printJson({ ...shown(record), key });
      context.say(`created key ${record.keyId} for principal ${principal}; it is shown only now, store it safely:\n${key}`);
      return 0;
    }
    if (sub === 'list') {
      positionalsOf('keys list', args, []);
      const records = await store.listKeys();
      if (context.json) context.printJson(records.map(shown));
      context.say(table(records));
      return 0;
    }
    const [keyId] = positionalsOf('keys revoke', args, ['KEYID']);
    if (!(await store.revokeKey({ keyId: keyId!, now: new Date() }))) {
      context.io.stderr.write(`no key ${keyId}\n`);
      return 1;
    }
    if (context.json) context.printJson({ keyId, revoked: true });
    context.say(`revoked key ${keyId}`);
    return 0;
  } finally {
    await close();
  }
}

export const keysCommand: CliCommand = {
  name: 'keys',
  args: 'create --principal NAME | list | revoke KEYID',
  summary: "manage API keys in the service's key store directly (reads the service's settings: MODE, DATA_DIR, GOOGLE_CLOUD_PROJECT, ...)",
  options: { principal: { type: 'string' } },
  async run(context, { positionals, values }) {
    const [sub, ...args] = positionals;
    if (sub !== 'create' && sub !== 'list' && sub !== 'revoke') throw new UsageError(`keys needs create, list or revoke${sub ? `, not '${sub}'` : ''}`, 'keys');
    const principal = stringOption(values, 'principal');
    if (principal !== undefined && sub !== 'create') throw new UsageError('--principal is for keys create', 'keys');
    return runKeys(context, sub, args, principal);
  },
};

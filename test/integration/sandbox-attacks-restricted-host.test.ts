import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { APP_ROOT } from '../../src/config/config';

// The whole attack suite of the landlock profile on the host that profile is for: the test runner itself under a
// seccomp filter like Docker's default profile (test/support/restricted_host.py), where bubblewrap cannot make its
// namespaces and the start-up probe must choose the landlock profile by itself (SANDBOX=auto).
jest.setTimeout(600_000);

describe("the attack suite on a host with Docker's default seccomp profile", () => {
  it('holds every attack with the profile the probe chose there (landlock)', () => {
    const run = spawnSync(
      'python3',
      [
        path.join(APP_ROOT, 'test', 'support', 'restricted_host.py'),
        'docker-seccomp',
        '--',
        process.execPath,
        path.join(APP_ROOT, 'node_modules', 'jest', 'bin', 'jest.js'),
        '--selectProjects',
        'integration',
        '--runTestsByPath',
        path.join(APP_ROOT, 'test', 'integration', 'sandbox-attacks-landlock.test.ts'),
      ],
      {
        cwd: APP_ROOT,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', SANDBOX_ATTACKS_PROFILE_FROM_HOST: 'true' },
        encoding: 'utf8',
        timeout: 560_000,
      },
    );
    const output = `${run.stdout}\n${run.stderr}`;
    const summary = /^Tests:\s+(.*)$/m.exec(output)?.[1] ?? output.slice(-4000);
    expect(summary).toMatch(/\d+ passed/);
    expect(summary).not.toMatch(/failed/);
    expect(run.status).toBe(0);
  });
});

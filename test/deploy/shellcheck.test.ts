import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { ROOT, runScript } from './support/run-script';

const SCRIPTS = [
  'deploy.sh',
  'setup-gcp.sh',
  'monitoring/apply.sh',
  'scripts/gcp-lib.sh',
  'test/deploy/fixtures/gcloud',
  'scripts/setup.sh',
  'scripts/setup-emulators.sh',
  'scripts/emulators/address.sh',
  'scripts/emulators/start-firestore.sh',
  'scripts/emulators/start-gcs.sh',
  'scripts/emulators/start-tasks.sh',
  '.ci/run',
  'scripts/image/base-images.sh',
  'scripts/image/build.sh',
  'scripts/image/run-container.sh',
  'scripts/image/enter-rootfs.sh',
  'scripts/image/entrypoint.sh',
];

describe('operator scripts', () => {
  it.each(SCRIPTS)('%s is shellcheck clean', (script) => {
    // shellcheck is installed by scripts/setup.sh; -x follows `source` so the shared library is checked in place.
    const result = spawnSync('shellcheck', ['-x', '--severity=style', script], { cwd: ROOT, encoding: 'utf8' });
    if (result.error) throw new Error(`shellcheck did not run (npm run setup installs it): ${result.error.message}`);
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it.each(['deploy.sh', 'setup-gcp.sh', 'monitoring/apply.sh'])('%s stops on errors, unset variables and failed pipes', (script) => {
    const text = fs.readFileSync(`${ROOT}/${script}`, 'utf8');
    expect(text.split('\n')[0]).toBe('#!/usr/bin/env bash');
    expect(text).toContain('\nset -euo pipefail\n');
    expect(text).not.toMatch(/\|\|\s*true\b/);
  });

  it.each(['deploy.sh', 'setup-gcp.sh', 'monitoring/apply.sh'])('%s rejects an unknown argument before doing anything', (script) => {
    const run = runScript(script, ['--projcet', 'typo'], { state: 'present' });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/unknown argument: --projcet/);
    expect(run.calls).toEqual([]);
  });
});

#!/usr/bin/env node
// `npm run test:chaos -- --minutes 30 --seed 7 [--target local|emulated]`: the chaos suite (test/chaos/) for as
// long as asked, on that seed, on both targets or one.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { parseArgs } = require('node:util');

const { values } = parseArgs({
  options: { minutes: { type: 'string', default: '1' }, seed: { type: 'string', default: '1' }, target: { type: 'string', default: 'local,emulated' } },
});
const { target, ...numbers } = values;
if (!target.split(',').every((t) => t === 'local' || t === 'emulated')) {
  process.stderr.write(`--target must be local, emulated or both (local,emulated), got '${target}'\n`);
  process.exit(2);
}
for (const [name, value] of Object.entries(numbers)) {
  if (!/^\d+(\.\d+)?$/.test(value) || Number(value) <= 0) {
    process.stderr.write(`--${name} must be a positive number, got '${value}'\n`);
    process.exit(2);
  }
}
const jest = path.join(__dirname, '..', 'node_modules', '.bin', 'jest');
const result = spawnSync(jest, ['--selectProjects', 'chaos', '--runInBand'], {
  stdio: 'inherit',
  env: { ...process.env, CHAOS_MINUTES: values.minutes, CHAOS_SEED: values.seed, CHAOS_TARGETS: target },
});
process.exit(result.status ?? 1);

#!/usr/bin/env node
import { runCli } from './run-cli';

/** `manim-render`: the operator CLI. Thin: the real work is in runCli, which is given the process's streams. */
const interrupt = new AbortController();
process.once('SIGINT', () => interrupt.abort(new Error('interrupted')));

runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, interrupt: interrupt.signal }).then(
  (status) => {
    process.exitCode = status;
  },
  (error: unknown) => {
    process.stderr.write(`manim-render: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);

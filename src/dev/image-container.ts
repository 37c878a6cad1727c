import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { APP_ROOT } from '../config/config';

/** The image `npm run test:image` builds into buildah's store (scripts/image/build.sh). */
export const IMAGE = process.env.IMAGE ?? 'localhost/manim-render:test';
const RUN_CONTAINER = path.join(APP_ROOT, 'scripts', 'image', 'run-container.sh');

export function imageExists(): boolean {
  try {
    execFileSync('buildah', ['inspect', '--type', 'image', IMAGE], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export interface ContainerOptions {
  env?: Record<string, string>;
  /** `host:path` or `host:path:ro`. */
  volumes?: string[];
  /** Words run before the image's entrypoint, from the image's file system (e.g. a seccomp filter). */
  wrap?: string[];
  command?: string[];
}

/** The command that runs the image as a container (scripts/image/run-container.sh). */
export function containerCommand(options: ContainerOptions): { command: string; args: string[]; env: Record<string, string> } {
  const args = [RUN_CONTAINER, '--image', IMAGE];
  for (const [name, value] of Object.entries(options.env ?? {})) args.push('-e', `${name}=${value}`);
  for (const volume of options.volumes ?? []) args.push('-v', volume);
  if (options.wrap?.length) args.push('--wrap', options.wrap.join(' '));
  args.push('--', ...(options.command ?? []));
  return { command: 'bash', args, env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' } };
}

/**
 * An emulated stack's `launch` that starts each role in a container of the image: the image's own DATA_DIR and
 * HOST, and the emulators' signing key mounted read-only at /run/secrets (from `secretsDir`), as Cloud Run mounts
 * a secret, readable by the ingress's own user.
 */
export function imageRoleLauncher(secretsDir: string) {
  fs.chmodSync(secretsDir, 0o755);
  return (_role: 'ingress' | 'renderer', settings: Record<string, string>) => {
    const { DATA_DIR: _data, HOST: _host, GCS_SIGNING_KEY_FILE: keyFile, ...env } = settings;
    const key = path.join(secretsDir, 'signing-key.json');
    fs.copyFileSync(keyFile!, key);
    fs.chmodSync(key, 0o444);
    return containerCommand({ env: { ...env, GCS_SIGNING_KEY_FILE: '/run/secrets/signing-key.json' }, volumes: [`${secretsDir}:/run/secrets:ro`] });
  };
}

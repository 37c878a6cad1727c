import path from 'node:path';
import { fileURLToPath } from 'node:url';

// The repository around this example: `manim-render` is linked from there (file:../..), so the build reaches it.
// An app that installs manim-render from the registry needs neither setting.
const repository = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** @type {import('next').NextConfig} */
const nextConfig = {
  turbopack: { root: repository },
  outputFileTracingRoot: repository,
  // The SDK runs in Node on the server (it signs Google ID tokens, reads streams): required at run time, not bundled.
  serverExternalPackages: ['manim-render'],
};

export default nextConfig;

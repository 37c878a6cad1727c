import { Module } from 'node:module';

/**
 * Loads a package with Node's own require, outside Jest's module registry.
 *
 * For libraries that load an ES module with a dynamic `import()` (teeny-request, under @google-cloud/storage,
 * imports node-fetch that way): Jest's registry cannot run dynamic imports without --experimental-vm-modules.
 * Jest's `node:module` is a subclass of Node's Module whose `createRequire` returns Jest's require, but an instance's
 * `require` is still Node's.
 */
export function loadNatively(id: string): unknown {
  return new Module(__filename).require(require.resolve(id));
}

import Ajv2020 from 'ajv/dist/2020';
import type { Express } from 'express';
import { createApiApp } from '../../../src/api/app';
import type { ApiDeps } from '../../../src/api/deps';
import { buildOpenApiDocument } from '../../../src/api/openapi';
import { fixture } from '../../support/service-harness';

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

/** Every (method, path) the Express app routes, read from its router, in OpenAPI's `{param}` form. */
function routesOf(app: Express): string[] {
  const found: string[] = [];
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const method of Object.keys(layer.route.methods)) {
          found.push(`${method} ${layer.route.path.replace(/:(\w+)/g, '{$1}')}`);
        }
      } else if (layer.handle?.stack) {
        walk(layer.handle.stack);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
  return found;
}

// Only the route table is read here; no dependency is called, so none needs to be real.
const unusedDeps = { limits: { maxCodeBytes: 1024 }, projectFiles: { limits: { maxFileBytes: 1024, maxInlineBytes: 1024 } }, logger: {}, auth: { mode: 'none' } } as unknown as ApiDeps;

describe('the OpenAPI document', () => {
  const doc = buildOpenApiDocument() as { openapi: string; paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: object }> } }>> };

  it('is OpenAPI 3.1 and covers every route the app serves', () => {
    expect(doc.openapi).toBe('3.1.0');
    const documented = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m} ${path}`));
    const served = routesOf(createApiApp(unusedDeps));
    expect(served.length).toBeGreaterThanOrEqual(9);
    expect(served.filter((r) => !documented.includes(r))).toEqual([]);
    expect(documented.filter((r) => !served.includes(r))).toEqual([]);
  });

  it('accepts sample render requests and rejects malformed ones by its own request schema', () => {
    const ajv = new Ajv2020({ strict: false });
    const validate = ajv.compile(doc.paths['/v1/renders']!.post!.requestBody!.content['application/json']!.schema);
    expect(validate({ code: fixture('tiny.py') })).toBe(true);
    expect(validate({ code: fixture('multi_scene.py'), scenes: ['PartOne'], quality: '4k', format: 'webm', timeoutSeconds: 60, metadata: { a: 'b' } })).toBe(true);
    expect(validate({ code: 'x', quality: 'ultra' })).toBe(false);
    expect(validate({ code: 'x', unknown: 1 })).toBe(false);
    expect(validate({})).toBe(false);
  });
});

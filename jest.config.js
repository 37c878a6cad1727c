/**
 * Projects so each layer can run alone: `npm run test:unit`, `test:contract`, `test:integration`, `test:ops`.
 * The image project runs only from `npm run test:image`, which builds the image first.
 * ts-jest only transpiles (isolatedModules in tsconfig); `npm test` type-checks the whole tree first with tsc.
 */
const transform = { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] };
const common = { testEnvironment: 'node', transform, moduleFileExtensions: ['ts', 'js', 'json'] };

module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    { ...common, displayName: 'contract', testMatch: ['<rootDir>/test/contract/**/*.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      slowTestThreshold: 60,
    },
    { ...common, displayName: 'ops', testMatch: ['<rootDir>/test/deploy/**/*.test.ts'] },
    // Web pages in a real headless Chromium (Debian's, driven by playwright-core); screenshots in test-artifacts/.
    { ...common, displayName: 'browser', testMatch: ['<rootDir>/test/browser/**/*.test.ts'], slowTestThreshold: 120 },
    // Faults injected under a mixed workload (test/chaos/): a short fixed seed here, long with `npm run test:chaos`.
    { ...common, displayName: 'chaos', testMatch: ['<rootDir>/test/chaos/**/*.test.ts'], slowTestThreshold: 600 },
    // ManimCE's documentation examples against `manim render`: a fixed sample here, all with `npm run conformance`.
    { ...common, displayName: 'conformance', testMatch: ['<rootDir>/test/conformance/**/*.test.ts'], slowTestThreshold: 300 },
    ...(process.env.MANIM_RENDER_IMAGE_TESTS === '1'
      ? [{ ...common, displayName: 'image', testMatch: ['<rootDir>/test/image/**/*.test.ts'], slowTestThreshold: 300 }]
      : []),
  ],
};

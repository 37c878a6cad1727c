import { loadConfig } from '../../../src/config/config';
import { maxSplitParts } from '../../../src/config/max-split-parts';

describe('maxSplitParts', () => {
  it('caps the parts by the renders that can run at once in local mode', () => {
    expect(maxSplitParts(loadConfig({}))).toBe(1); // RENDER_CONCURRENCY defaults to 1: no split
    expect(maxSplitParts(loadConfig({ RENDER_CONCURRENCY: '3' }))).toBe(3);
    expect(maxSplitParts(loadConfig({ RENDER_CONCURRENCY: '16' }))).toBe(8);
  });

  it('leaves SPLIT_MAX_PARTS as it is on Cloud Run, where each part takes an instance', () => {
    expect(maxSplitParts({ MODE: 'gcp', SPLIT_MAX_PARTS: 8, RENDER_CONCURRENCY: 1 })).toBe(8);
  });
});

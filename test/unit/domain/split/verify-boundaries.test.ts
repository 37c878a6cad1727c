import type { SceneBoundary, ScenePart } from '../../../../src/domain/job';
import { boundaryMismatch } from '../../../../src/domain/split/verify-boundaries';

type Rendered = NonNullable<ScenePart['rendered']>;

const STATE_AFTER_1 = { mobjects: 'm1', camera: 'c1', time: 't1' };
const STATE_AFTER_3 = { mobjects: 'm3', camera: 'c1', time: 't3' };

function rendered(index: number, boundaries: { start?: SceneBoundary; end?: SceneBoundary }): Rendered {
  return { blobKey: `parts/${index}.mp4`, logKey: `parts/${index}.log`, renderSeconds: 2, ...boundaries };
}

// Each call builds fresh objects, so a test may change the parts it gets in place.
/** Three parts of animations 0–1, 2–3 and 4–end, each rendered and agreeing with its neighbours. */
function agreeingParts(): ScenePart[] {
  return [
    { from: 0, upto: 1, seconds: 4, animations: 2, rendered: rendered(0, { end: { after: 1, fingerprint: { ...STATE_AFTER_1 } } }) },
    {
      from: 2,
      upto: 3,
      seconds: 4,
      animations: 2,
      rendered: rendered(1, { start: { after: 1, fingerprint: { ...STATE_AFTER_1 } }, end: { after: 3, fingerprint: { ...STATE_AFTER_3 } } }),
    },
    { from: 4, upto: null, seconds: 4, animations: 2, rendered: rendered(2, { start: { after: 3, fingerprint: { ...STATE_AFTER_3 } } }) },
  ];
}

/** `parts` with part `index`'s rendered record replaced. */
function withRendered(parts: ScenePart[], index: number, next: Rendered | undefined): ScenePart[] {
  return parts.map((p, i) => {
    if (i !== index) return p;
    const { rendered: _old, ...rest } = p;
    return next ? { ...rest, rendered: next } : rest;
  });
}

describe('boundaryMismatch', () => {
  it('finds nothing wrong when every rendered neighbour describes the same state', () => {
    expect(boundaryMismatch(agreeingParts())).toBeNull();
  });

  it('finds nothing wrong before any part is rendered', () => {
    expect(boundaryMismatch(agreeingParts().map(({ rendered: _none, ...part }) => part))).toBeNull();
  });

  it('leaves a pair unchecked until both its parts are rendered', () => {
    // Parts 1 and 3 disagree with what part 2 would say, but part 2 is not rendered: nothing to compare yet.
    const parts = withRendered(agreeingParts(), 1, undefined);
    parts[0]!.rendered!.end!.fingerprint.mobjects = 'something else';
    parts[2]!.rendered!.start!.fingerprint.camera = 'moved';
    expect(boundaryMismatch(parts)).toBeNull();
  });

  it('still checks the pairs after a part not yet rendered', () => {
    const parts = withRendered(agreeingParts(), 0, undefined);
    parts[2]!.rendered!.start!.fingerprint.mobjects = 'other';
    expect(boundaryMismatch(parts)).toMatch(/where part 2 ends and part 3 starts/);
  });

  it('names the keys whose state differs, and where', () => {
    const parts = agreeingParts();
    parts[1]!.rendered!.start!.fingerprint.mobjects = 'other';
    const reason = boundaryMismatch(parts);
    expect(reason).toMatch(/differs where part 1 ends and part 2 starts \(after animation 1\): mobjects$/);
    expect(reason).not.toMatch(/camera|time/);
  });

  it('lists every differing key, including those only one side has', () => {
    const parts = agreeingParts();
    parts[0]!.rendered!.end!.fingerprint = { ...STATE_AFTER_1, time: 'later', onlyEnding: 'x' };
    parts[1]!.rendered!.start!.fingerprint = { ...STATE_AFTER_1, onlyStarting: 'y' };
    expect(boundaryMismatch(parts)).toMatch(/: onlyEnding, onlyStarting, time$/);
  });

  it('checks every boundary, not only the first', () => {
    const parts = agreeingParts();
    parts[2]!.rendered!.start!.fingerprint = { ...STATE_AFTER_3, camera: 'moved' };
    expect(boundaryMismatch(parts)).toMatch(/where part 2 ends and part 3 starts \(after animation 3\): camera$/);
  });

  it('refuses a part that did not describe the state it ended in', () => {
    const parts = withRendered(agreeingParts(), 0, rendered(0, {}));
    expect(boundaryMismatch(parts)).toMatch(/^part 1 did not describe the scene where part 1 ends and part 2 starts/);
  });

  it('refuses a part whose end follows another animation than its upto', () => {
    const parts = withRendered(agreeingParts(), 0, rendered(0, { end: { after: 0, fingerprint: { ...STATE_AFTER_1 } } }));
    expect(boundaryMismatch(parts)).toMatch(/^part 1 did not describe the scene/);
  });

  it('refuses a part that did not describe the state it started from', () => {
    const parts = withRendered(agreeingParts(), 2, rendered(2, {}));
    expect(boundaryMismatch(parts)).toMatch(/^part 3 did not describe the scene where part 2 ends and part 3 starts/);
  });

  it('refuses a part whose start follows another animation than the previous part’s upto', () => {
    const parts = withRendered(agreeingParts(), 1, rendered(1, { start: { after: 2, fingerprint: { ...STATE_AFTER_1 } }, end: agreeingParts()[1]!.rendered!.end! }));
    expect(boundaryMismatch(parts)).toMatch(/^part 2 did not describe the scene/);
  });

  it('refuses a part that skipped animations while a dt updater was in the scene, even if the states match', () => {
    const parts = agreeingParts();
    parts[1]!.rendered!.start!.timeBasedUpdatersSkipped = true;
    expect(boundaryMismatch(parts)).toMatch(/time-based \(dt\) updater .* part 2 skipped/);
  });

  it('accepts a start that says explicitly no dt updater was skipped', () => {
    const parts = agreeingParts();
    parts[1]!.rendered!.start!.timeBasedUpdatersSkipped = false;
    expect(boundaryMismatch(parts)).toBeNull();
  });
});

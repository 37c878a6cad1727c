import { timeOrderedIds } from '../../../src/adapters/time-ordered-ids';

describe('timeOrderedIds', () => {
  it('makes lowercase letters and digits only, 25 characters long', () => {
    const ids = timeOrderedIds();
    for (let i = 0; i < 100; i++) expect(ids.newId()).toMatch(/^[a-z0-9]{25}$/);
  });

  it('sorts ids in the order they were made, within and across milliseconds', () => {
    // A clock that repeats each millisecond several times, as a busy process sees it.
    let tick = 0;
    const ids = timeOrderedIds(() => 1_900_000_000_000 + Math.floor(tick++ / 7));
    const made = Array.from({ length: 500 }, () => ids.newId());
    expect([...made].sort()).toEqual(made);
  });

  it('keeps sorting when the clock steps backwards', () => {
    const times = [2_000_000_000_000, 2_000_000_000_005, 1_999_999_999_000, 2_000_000_000_001, 2_000_000_000_006];
    const ids = timeOrderedIds(() => times.shift()!);
    const made = Array.from({ length: 5 }, () => ids.newId());
    expect([...made].sort()).toEqual(made);
  });

  it('sorts ids of a later millisecond after those of an earlier one, whatever the counter reached', () => {
    let now = 1_900_000_000_000;
    const ids = timeOrderedIds(() => now);
    let last = '';
    for (let i = 0; i < 2000; i++) last = ids.newId();
    now += 1;
    expect(ids.newId() > last).toBe(true);
  });

  it('never repeats an id, even at the same instant', () => {
    const ids = timeOrderedIds(() => 1_900_000_000_000);
    const made = new Set(Array.from({ length: 10_000 }, () => ids.newId()));
    expect(made.size).toBe(10_000);
  });

  it('is unguessable: two generators at the same instant make different ids', () => {
    const at = () => 1_900_000_000_000;
    expect(timeOrderedIds(at).newId()).not.toBe(timeOrderedIds(at).newId());
  });
});

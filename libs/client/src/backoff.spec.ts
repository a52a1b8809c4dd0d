import { Backoff } from './backoff.js';

describe('Backoff (full jitter)', () => {
  it('doubles its ceiling per attempt up to the maximum', () => {
    const top = new Backoff(500, 10_000, () => 1);
    expect([1, 2, 3, 4, 5, 6, 7].map(() => top.next())).toEqual([500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
  });

  it('never waits less than half the minimum', () => {
    const bottom = new Backoff(500, 10_000, () => 0);
    expect([1, 2, 3].map(() => bottom.next())).toEqual([250, 250, 250]);
  });

  it('spreads delays between the floor and the ceiling', () => {
    const middle = new Backoff(1000, 60_000, () => 0.5);
    middle.next();
    middle.next();
    // Third attempt: ceiling 4000, floor 500 → halfway is 2250.
    expect(middle.next()).toBe(2250);
  });

  it('starts over after reset', () => {
    const backoff = new Backoff(500, 10_000, () => 1);
    backoff.next();
    backoff.next();
    backoff.next();
    backoff.reset();
    expect(backoff.next()).toBe(500);
  });
});

import { cacheControlMaxAgeMs } from './key-sets.js';

describe('cacheControlMaxAgeMs (the cache lifetime a JWKS response allows)', () => {
  it.each([
    ['public, max-age=300', 300_000],
    ['max-age=1', 1000],
    ['public,max-age="60"', 60_000],
    ['MAX-AGE=5, must-revalidate', 5000],
    ['no-store', 0],
    ['public, no-cache', 0],
  ])('%s → %p ms', (header, expected) => {
    expect(cacheControlMaxAgeMs(header)).toBe(expected);
  });

  it.each([[null], [''], ['public'], ['s-maxage=30'], ['max-age=soon']])('%p names no lifetime', (header) => {
    expect(cacheControlMaxAgeMs(header)).toBeUndefined();
  });
});

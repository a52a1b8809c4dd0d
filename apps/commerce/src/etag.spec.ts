import { ProblemException } from '@tandem/platform';
import { etagOf, expectedVersion, matchesIfNoneMatch } from './etag.js';

describe('ETags of products (their version)', () => {
  it('is the version as a strong validator', () => {
    expect(etagOf(3)).toBe('"3"');
  });

  describe('If-None-Match (weak comparison)', () => {
    it('matches the current version, weak or strong, alone or in a list, and *', () => {
      expect(matchesIfNoneMatch('"3"', 3)).toBe(true);
      expect(matchesIfNoneMatch('W/"3"', 3)).toBe(true);
      expect(matchesIfNoneMatch('"1", W/"3" ,"7"', 3)).toBe(true);
      expect(matchesIfNoneMatch(' * ', 3)).toBe(true);
    });

    it('does not match another version, an absent header or garbage', () => {
      expect(matchesIfNoneMatch('"2"', 3)).toBe(false);
      expect(matchesIfNoneMatch(undefined, 3)).toBe(false);
      expect(matchesIfNoneMatch('', 3)).toBe(false);
      expect(matchesIfNoneMatch('3', 3)).toBe(false);
    });
  });

  describe('If-Match (strong comparison)', () => {
    it('is the expected version, or null when absent or *', () => {
      expect(expectedVersion('"12"')).toBe(12);
      expect(expectedVersion(' "12" ')).toBe(12);
      expect(expectedVersion(undefined)).toBeNull();
      expect(expectedVersion('*')).toBeNull();
    });

    it('refuses a weak or malformed tag with 412: it can never match a strong validator', () => {
      for (const header of ['W/"12"', '12', '"12', '"abc"', '"1", "2"', '"1234567890"']) {
        let error: unknown;
        try {
          expectedVersion(header);
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(ProblemException);
        expect((error as ProblemException).getStatus()).toBe(412);
      }
    });
  });
});

import { parseStreamRequest } from './stream-request.js';

describe('parseStreamRequest', () => {
  it('reads the channels, trimmed and once each, and Last-Event-ID as `since`', () => {
    expect(parseStreamRequest('catalog, product:a,catalog', '42', 20)).toEqual({
      names: ['catalog', 'product:a'],
      since: 42,
    });
    expect(parseStreamRequest('catalog', undefined, 20)).toEqual({ names: ['catalog'] });
    expect(parseStreamRequest('catalog', '', 20)).toEqual({ names: ['catalog'] });
  });

  it('reads `conflate` (ms, 50 to 5000)', () => {
    expect(parseStreamRequest('catalog', '7', 20, '250')).toEqual({ names: ['catalog'], since: 7, conflate: 250 });
    expect(parseStreamRequest('catalog', undefined, 20, '50')).toEqual({ names: ['catalog'], conflate: 50 });
  });

  it.each(['49', '5001', 'abc', '1.5', '', '-100', ['100', '200']])('refuses conflate=%p', (conflate) => {
    expect(parseStreamRequest('catalog', undefined, 20, conflate)).toEqual(
      expect.objectContaining({ field: 'conflate' }),
    );
  });

  it.each([
    ['no channels', undefined, undefined, 'channels'],
    ['an empty list', '', undefined, 'channels'],
    ['a repeated query parameter', ['a', 'b'], undefined, 'channels'],
    ['an over-long list', 'x'.repeat(3000), undefined, 'channels'],
    ['too many channels', 'a,b,c', undefined, 'channels'],
    ['a non-numeric Last-Event-ID', 'catalog', 'abc', 'Last-Event-ID'],
    ['a negative Last-Event-ID', 'catalog', '-1', 'Last-Event-ID'],
    ['an unsafe Last-Event-ID', 'catalog', '9'.repeat(16), 'Last-Event-ID'],
  ])('refuses %s', (_what, channels, lastEventId, field) => {
    expect(parseStreamRequest(channels, lastEventId, 2)).toEqual(expect.objectContaining({ field }));
  });
});

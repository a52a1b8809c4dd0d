import { MAX_CHANNEL_LENGTH, channels, isPrivateChannel, isUuid, parseChannel } from './channels.js';

const ID = '3f2b8c1e-5d4a-4e6f-9a7b-1c2d3e4f5a6b';

describe('isUuid', () => {
  it('accepts a lowercase canonical UUID', () => {
    expect(isUuid(ID)).toBe(true);
  });

  it.each([
    ['uppercase', ID.toUpperCase()],
    ['no dashes', ID.replace(/-/g, '')],
    ['too short', ID.slice(0, -1)],
    ['trailing text', `${ID}x`],
    ['empty', ''],
    ['a number', 42],
    ['null', null],
    ['undefined', undefined],
  ])('refuses %s', (_what, value) => {
    expect(isUuid(value)).toBe(false);
  });
});

describe('parseChannel', () => {
  it('parses the catalog', () => {
    expect(parseChannel('catalog')).toEqual({ kind: 'catalog', name: 'catalog' });
  });

  it.each(['product', 'user', 'order'] as const)('parses %s:{uuid} into kind and id', (kind) => {
    expect(parseChannel(`${kind}:${ID}`)).toEqual({ kind, id: ID, name: `${kind}:${ID}` });
  });

  it.each([
    ['an unknown kind', `cart:${ID}`],
    ['an id that is not a UUID', 'product:42'],
    ['a missing id', 'product:'],
    ['no colon', 'products'],
    ['a catalog with an id', `catalog:${ID}`],
    ['an extra segment', `order:${ID}:items`],
    ['a leading space', ` user:${ID}`],
    ['over the length limit', `product:${ID}${'x'.repeat(MAX_CHANNEL_LENGTH)}`],
    ['an empty string', ''],
    ['a number', 7],
    ['an object', { name: 'catalog' }],
  ])('refuses %s', (_what, name) => {
    expect(parseChannel(name)).toBeNull();
  });

  it('round-trips the channel builders', () => {
    for (const name of [channels.catalog, channels.product(ID), channels.user(ID), channels.order(ID)]) {
      expect(parseChannel(name)?.name).toBe(name);
    }
  });
});

describe('isPrivateChannel', () => {
  it('is true for user and order channels only', () => {
    const kinds = ['catalog', `product:${ID}`, `user:${ID}`, `order:${ID}`].map((name) => {
      const parsed = parseChannel(name)!;
      return [parsed.kind, isPrivateChannel(parsed)];
    });
    expect(kinds).toEqual([
      ['catalog', false],
      ['product', false],
      ['user', true],
      ['order', true],
    ]);
  });
});

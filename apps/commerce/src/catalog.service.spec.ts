import type { Product } from '@tandem/contracts';
import { productEvents, toPrefixQuery } from './catalog.service.js';

describe('catalog search terms', () => {
  it('turns words into prefix terms joined by AND', () => {
    expect(toPrefixQuery('red sh')).toBe('red:* & sh:*');
    expect(toPrefixQuery('  Trail   RUNNER ')).toBe('trail:* & runner:*');
  });

  it('keeps letters and digits of any script and drops tsquery syntax', () => {
    expect(toPrefixQuery("café 2000 & | ! ( ) : * '")).toBe('café:* & 2000:*');
    expect(toPrefixQuery('!!! &&& ')).toBeNull();
    expect(toPrefixQuery('')).toBeNull();
  });

  it('takes at most 8 words', () => {
    expect(toPrefixQuery('a b c d e f g h i j')!.split(' & ')).toHaveLength(8);
  });
});

describe('product events', () => {
  const product: Product = {
    id: '6f1c2d1e-0000-4000-8000-000000000001',
    sku: 'MUG-1',
    name: 'Mug',
    description: '',
    price: { amount: 900, currency: 'EUR' },
    stock: 7,
    version: 2,
    updatedAt: '2026-12-01T00:00:00.000Z',
  };

  it('publishes the product on its channel and the catalog', () => {
    expect(productEvents(product, 'product.created')).toEqual([
      { type: 'product.created', channels: [`product:${product.id}`, 'catalog'], data: product },
    ]);
  });

  it('adds inventory.changed when the stock moved, with the delta', () => {
    const events = productEvents(product, 'product.updated', -3);
    expect(events.map((event) => event.type)).toEqual(['product.updated', 'inventory.changed']);
    expect(events[1]).toEqual({
      type: 'inventory.changed',
      channels: [`product:${product.id}`, 'catalog'],
      data: { productId: product.id, stock: 7, delta: -3 },
    });
  });
});

import type { Product } from '@tandem/contracts';
import { productEvent, toPrefixQuery } from './catalog.service.js';

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

  it('publishes a new product on its channel and the catalog', () => {
    expect(productEvent(product, 'created')).toEqual({
      type: 'product.created',
      channels: [`product:${product.id}`, 'catalog'],
      data: product,
    });
  });

  it('a stock-only change is inventory.changed alone, with the delta and the product version', () => {
    expect(productEvent(product, { stockOnly: true, stockDelta: -3 })).toEqual({
      type: 'inventory.changed',
      channels: [`product:${product.id}`, 'catalog'],
      data: { productId: product.id, stock: 7, delta: -3, version: 2 },
    });
  });

  it('any other change is product.updated alone, carrying the new stock', () => {
    const event = productEvent(product, { stockOnly: false, stockDelta: -3 });
    expect(event).toEqual({ type: 'product.updated', channels: [`product:${product.id}`, 'catalog'], data: product });
  });
});

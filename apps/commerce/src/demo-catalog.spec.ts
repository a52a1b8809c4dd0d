import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { NewProductDto } from '@tandem/contracts/server';
import { demoProducts } from './demo-catalog.js';

describe('demo catalog', () => {
  const products = demoProducts();

  it('is deterministic, ~300 products with unique SKUs', () => {
    expect(demoProducts()).toEqual(products);
    expect(products.length).toBeGreaterThanOrEqual(250);
    expect(new Set(products.map((product) => product.sku)).size).toBe(products.length);
  });

  it('passes the API validation of a new product', () => {
    for (const product of products) {
      expect(validateSync(plainToInstance(NewProductDto, product), { forbidUnknownValues: true })).toEqual([]);
    }
  });
});

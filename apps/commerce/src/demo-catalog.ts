import type { DataSource } from 'typeorm';
import type { NewProductDto } from '@tandem/contracts/server';
import { appendToOutbox } from '@tandem/messaging';
import { productEvent } from './catalog.service.js';
import { ProductRecord, toProduct } from './product.entity.js';

const CATEGORIES: Record<string, { nouns: string[]; base: number }> = {
  apparel: { nouns: ['T-Shirt', 'Hoodie', 'Rain Jacket', 'Chinos', 'Wool Socks', 'Beanie'], base: 1900 },
  footwear: { nouns: ['Trail Runner', 'Sneaker', 'Hiking Boot', 'Sandal', 'Loafer'], base: 5900 },
  kitchen: { nouns: ['Chef Knife', 'Cast Iron Pan', 'Pour-Over Kettle', 'Cutting Board', 'Espresso Cups'], base: 2400 },
  electronics: { nouns: ['Headphones', 'Bluetooth Speaker', 'USB-C Charger', 'E-Reader', 'Smart Lamp'], base: 3900 },
  outdoor: { nouns: ['Tent', 'Sleeping Bag', 'Headlamp', 'Water Bottle', 'Daypack'], base: 2900 },
  home: { nouns: ['Throw Blanket', 'Ceramic Vase', 'Desk Lamp', 'Linen Pillow', 'Wall Clock'], base: 2200 },
};
const ADJECTIVES = [
  'Classic',
  'Ultralight',
  'Organic',
  'Recycled',
  'Pro',
  'Everyday',
  'Heritage',
  'Compact',
  'Deluxe',
  'Studio',
];

/** A deterministic demo catalog: every category × noun × adjective, ~300 products. */
export function demoProducts(): NewProductDto[] {
  const products: NewProductDto[] = [];
  for (const [category, { nouns, base }] of Object.entries(CATEGORIES)) {
    nouns.forEach((noun, n) =>
      ADJECTIVES.forEach((adjective, a) => {
        const seq = n * ADJECTIVES.length + a;
        products.push({
          sku: `${category.slice(0, 3).toUpperCase()}-${String(seq + 1).padStart(3, '0')}`,
          name: `${adjective} ${noun}`,
          description: `${adjective} ${noun.toLowerCase()} from our ${category} range.`,
          price: { amount: base + ((seq * 737) % 40) * 100 + 99, currency: 'EUR' },
          stock: 5 + ((seq * 13) % 60),
        } as NewProductDto);
      }),
    );
  }
  return products;
}

/** Inserts the demo products that are missing (by SKU), with their product.created events. */
export async function seedDemoCatalog(dataSource: DataSource): Promise<number> {
  return dataSource.transaction(async (manager) => {
    const inserted: { id: string }[] = [];
    for (const product of demoProducts()) {
      const rows: { id: string }[] = await manager.query(
        `INSERT INTO products (sku, name, description, price_amount, price_currency, stock)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (sku) DO NOTHING RETURNING id`,
        [product.sku, product.name, product.description, product.price.amount, product.price.currency, product.stock],
      );
      inserted.push(...rows);
    }
    if (inserted.length === 0) return 0;
    const records = await manager.findBy(
      ProductRecord,
      inserted.map(({ id }) => ({ id })),
    );
    await appendToOutbox(
      manager,
      records.map((record) => productEvent(toProduct(record), 'created')),
    );
    return inserted.length;
  });
}

import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { Product } from '@tandem/contracts';

const bigintAsNumber = { to: (v: number) => v, from: (v: string) => Number(v) };

@Entity({ name: 'products' })
export class ProductRecord {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text', unique: true })
  sku!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text', default: '' })
  description!: string;

  @Column({ type: 'bigint', name: 'price_amount', transformer: bigintAsNumber })
  priceAmount!: number;

  @Column({ type: 'char', length: 3, name: 'price_currency' })
  priceCurrency!: string;

  @Column({ type: 'integer' })
  stock!: number;

  @Column({ type: 'integer', default: 1 })
  version!: number;

  @Column({ type: 'timestamptz', name: 'created_at' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', name: 'updated_at' })
  updatedAt!: Date;
}

export function toProduct(record: ProductRecord): Product {
  return {
    id: record.id,
    sku: record.sku,
    name: record.name,
    description: record.description,
    price: { amount: record.priceAmount, currency: record.priceCurrency },
    stock: record.stock,
    version: record.version,
    updatedAt: record.updatedAt.toISOString(),
  };
}

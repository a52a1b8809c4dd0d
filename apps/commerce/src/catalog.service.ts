import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { channels } from '@tandem/contracts';
import type { Page, Product } from '@tandem/contracts';
import type { ListProductsQueryDto, NewProductDto, UpdateProductDto } from '@tandem/contracts/server';
import { appendToOutbox } from '@tandem/messaging';
import type { NewEvent } from '@tandem/messaging';
import { Problems } from '@tandem/platform';
import { ProductRecord, toProduct } from './product.entity.js';
import { assertUuid, decodeCursor, encodeCursor, readSnapshot, STREAM_HEAD_SQL } from './snapshot.js';
import type { Snapshot } from './snapshot.js';

const DEFAULT_PAGE = 20;

/** Words of a search, as prefix terms for to_tsquery ('red sh' → 'red:* & sh:*'); only letters and digits pass. */
export function toPrefixQuery(q: string): string | null {
  const words = q.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return words.length > 0
    ? words
        .slice(0, 8)
        .map((word) => `${word}:*`)
        .join(' & ')
    : null;
}

/** `inventory.changed` (docs/contract.md, "Events"): `version` is the product's after the change, as in its REST reads. */
export function inventoryEvent(productId: string, stock: number, delta: number, version: number): NewEvent {
  return {
    type: 'inventory.changed',
    channels: [channels.product(productId), channels.catalog],
    data: { productId, stock, delta, version },
  };
}

/**
 * The one event of a product change (docs/contract.md, "Catalog"): `product.created`, or for an
 * update `inventory.changed` when only the stock moved and `product.updated` (the whole product, new
 * stock included) when any other field changed. One event per version, so a client that holds a
 * version knows which events it already reflects.
 */
export function productEvent(
  product: Product,
  change: 'created' | { stockOnly: boolean; stockDelta: number },
): NewEvent {
  if (change !== 'created' && change.stockOnly) {
    return inventoryEvent(product.id, product.stock, change.stockDelta, product.version);
  }
  return {
    type: change === 'created' ? 'product.created' : 'product.updated',
    channels: [channels.product(product.id), channels.catalog],
    data: product,
  };
}

@Injectable()
export class CatalogService {
  constructor(private readonly dataSource: DataSource) {}

  list(query: ListProductsQueryDto): Promise<Snapshot<Page<Product>>> {
    const limit = query.limit ?? DEFAULT_PAGE;
    const after = decodeCursor(query.cursor);
    const search = query.q === undefined ? null : toPrefixQuery(query.q);
    return readSnapshot(this.dataSource, async (manager) => {
      const qb = manager
        .createQueryBuilder(ProductRecord, 'p')
        .orderBy('p.createdAt', 'ASC')
        .addOrderBy('p.id', 'ASC')
        .limit(limit + 1);
      if (after) qb.andWhere('(p.created_at, p.id) > (:createdAt::timestamptz, :id::uuid)', after);
      if (search) qb.andWhere(`p.search @@ to_tsquery('simple', :search)`, { search });
      const rows = await qb.getMany();
      const items = rows.slice(0, limit);
      const last = items[items.length - 1];
      return {
        items: items.map(toProduct),
        nextCursor: rows.length > limit && last ? encodeCursor(last.createdAt, last.id) : null,
      };
    });
  }

  /** One statement, so one snapshot: the product and the stream head are consistent (the hot read path). */
  async get(id: string): Promise<Snapshot<Product>> {
    assertUuid(id, 'Product');
    const { entities, raw } = await this.dataSource
      .createQueryBuilder(ProductRecord, 'p')
      .addSelect(STREAM_HEAD_SQL, 'stream_head')
      .where('p.id = :id', { id })
      .getRawAndEntities<{ stream_head: string }>();
    if (!entities[0]) throw Problems.notFound('Product not found');
    return { value: toProduct(entities[0]), offset: Number(raw[0]!.stream_head) };
  }

  async create(dto: NewProductDto): Promise<Product> {
    try {
      return await this.dataSource.transaction(async (manager) => {
        const [record] = await manager.query(
          `INSERT INTO products (sku, name, description, price_amount, price_currency, stock)
           VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
          [dto.sku, dto.name, dto.description ?? '', dto.price.amount, dto.price.currency, dto.stock],
        );
        const product = toProduct(await manager.findOneByOrFail(ProductRecord, { id: record.id }));
        await appendToOutbox(manager, [productEvent(product, 'created')]);
        return product;
      });
    } catch (error) {
      if ((error as { code?: string }).code === '23505') {
        throw Problems.conflict('sku-taken', `A product with SKU ${dto.sku} already exists`);
      }
      throw error;
    }
  }

  /** `expectedVersion` comes from If-Match; a stale one is 412 and changes nothing. */
  async update(id: string, dto: UpdateProductDto, expectedVersion: number | null): Promise<Product> {
    assertUuid(id, 'Product');
    const changes = Object.entries(dto).filter(([, value]) => value !== undefined);
    if (changes.length === 0) {
      throw Problems.badRequest('The body must change at least one of name, description, price, stock', [
        { field: '', message: 'must not be empty' },
      ]);
    }
    return this.dataSource.transaction(async (manager) => {
      const current = await this.lock(manager, id);
      if (expectedVersion !== null && current.version !== expectedVersion) {
        throw Problems.preconditionFailed(`The product is at version ${current.version}, not ${expectedVersion}`);
      }
      await manager.query(
        `UPDATE products SET name = $2, description = $3, price_amount = $4, price_currency = $5, stock = $6,
                version = version + 1, updated_at = clock_timestamp()
          WHERE id = $1`,
        [
          id,
          dto.name ?? current.name,
          dto.description ?? current.description,
          dto.price?.amount ?? current.priceAmount,
          dto.price?.currency ?? current.priceCurrency,
          dto.stock ?? current.stock,
        ],
      );
      const product = toProduct(await manager.findOneByOrFail(ProductRecord, { id }));
      // Fields sent with their current value change nothing: `{ name: same, stock: 3 }` is a stock change.
      const stockOnly =
        dto.stock !== undefined &&
        (dto.name ?? current.name) === current.name &&
        (dto.description ?? current.description) === current.description &&
        (dto.price?.amount ?? current.priceAmount) === current.priceAmount &&
        (dto.price?.currency ?? current.priceCurrency) === current.priceCurrency;
      await appendToOutbox(manager, [productEvent(product, { stockOnly, stockDelta: product.stock - current.stock })]);
      return product;
    });
  }

  private async lock(manager: EntityManager, id: string): Promise<ProductRecord> {
    const record = await manager
      .createQueryBuilder(ProductRecord, 'p')
      .setLock('pessimistic_write')
      .where('p.id = :id', { id })
      .getOne();
    if (!record) throw Problems.notFound('Product not found');
    return record;
  }
}

/** Products and pages (docs/contract.md, Catalog). */
export interface Money {
  /** Integer minor units (cents). */
  amount: number;
  /** ISO 4217 code. */
  currency: string;
}

export interface Product {
  id: string;
  sku: string;
  name: string;
  description: string;
  price: Money;
  stock: number;
  version: number;
  updatedAt: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export const MAX_AMOUNT = 100_000_000_00; // 100 million in major units
export const MAX_STOCK = 1_000_000_000;

/** `POST /products`. */
export interface NewProduct {
  sku: string;
  name: string;
  description?: string;
  price: Money;
  stock: number;
}

/** `PATCH /products/:id`: any non-empty subset (emptiness is checked by the service). */
export type ProductPatch = Partial<Pick<NewProduct, 'name' | 'description' | 'price' | 'stock'>>;

/** Cursor pagination of every list route. */
export interface PageQuery {
  limit?: number;
  cursor?: string;
}

/** `GET /products`. */
export interface ProductQuery extends PageQuery {
  q?: string;
}

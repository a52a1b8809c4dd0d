import type { EntityManager } from 'typeorm';
import type { CancelReason, Order, OrderStatus } from '@tandem/contracts';

interface OrderRow {
  id: string;
  user_id: string;
  status: OrderStatus;
  cancel_reason: CancelReason | null;
  version: number;
  total_amount: string;
  currency: string;
  created_at: Date;
  updated_at: Date;
}

interface ItemRow {
  order_id: string;
  product_id: string;
  quantity: number;
  unit_amount: string;
  currency: string;
}

export interface OrderWithCursor {
  order: Order;
  createdAt: Date;
}

/** Loads orders with their lines in two queries (no N+1), keeping the rows' order. */
export async function loadOrders(
  manager: EntityManager,
  where: string,
  params: unknown[],
  suffix = '',
): Promise<OrderWithCursor[]> {
  const rows: OrderRow[] = await manager.query(`SELECT * FROM orders WHERE ${where} ${suffix}`, params);
  if (rows.length === 0) return [];
  const items: ItemRow[] = await manager.query(
    `SELECT order_id, product_id, quantity, unit_amount, currency FROM order_items WHERE order_id = ANY($1::uuid[]) ORDER BY order_id, line`,
    [rows.map((row) => row.id)],
  );
  const byOrder = new Map<string, ItemRow[]>();
  for (const item of items) byOrder.set(item.order_id, [...(byOrder.get(item.order_id) ?? []), item]);
  return rows.map((row) => ({
    createdAt: row.created_at,
    order: {
      id: row.id,
      userId: row.user_id,
      status: row.status,
      ...(row.cancel_reason ? { cancelReason: row.cancel_reason } : {}),
      items: (byOrder.get(row.id) ?? []).map((item) => ({
        productId: item.product_id,
        quantity: item.quantity,
        unitPrice: { amount: Number(item.unit_amount), currency: item.currency },
      })),
      total: { amount: Number(row.total_amount), currency: row.currency },
      version: row.version,
      createdAt: row.created_at.toISOString(),
      updatedAt: row.updated_at.toISOString(),
    },
  }));
}

import type { Money } from './catalog.js';

/** Orders and their status machine (docs/contract.md, Orders). */
export const ORDER_STATUSES = ['pending', 'paid', 'shipped', 'delivered', 'cancelled'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** The status machine (docs/contract.md, Orders): anything not listed here is a 409. */
export const ORDER_TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  pending: ['paid', 'cancelled'],
  paid: ['shipped', 'cancelled'],
  shipped: ['delivered'],
  delivered: [],
  cancelled: [],
};

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return ORDER_TRANSITIONS[from].includes(to);
}

export interface OrderItem {
  productId: string;
  quantity: number;
  unitPrice: Money;
}

/** Who cancelled an order (docs/contract.md, "Orders"): its customer, an admin, or the system at expiry. */
export const CANCEL_REASONS = ['customer', 'admin', 'expired'] as const;
export type CancelReason = (typeof CANCEL_REASONS)[number];

export interface Order {
  id: string;
  userId: string;
  status: OrderStatus;
  /** Present when `status` is `cancelled`. */
  cancelReason?: CancelReason;
  items: OrderItem[];
  total: Money;
  /** Starts at 1 and grows by one on every change. */
  version: number;
  createdAt: string;
  updatedAt: string;
}

export const MAX_ORDER_LINES = 100;
export const MAX_LINE_QUANTITY = 1000;

export interface OrderLine {
  productId: string;
  quantity: number;
}

/** `POST /orders`: prices come from the catalog, never from the client. */
export interface NewOrder {
  items: OrderLine[];
}

/** Statuses an admin may set directly; payment and cancellation have their own routes. */
export const ADMIN_SETTABLE_STATUSES = ['shipped', 'delivered'] as const;
export type AdminSettableStatus = (typeof ADMIN_SETTABLE_STATUSES)[number];

/** `PATCH /orders/:id/status`. */
export interface OrderStatusRequest {
  status: AdminSettableStatus;
}

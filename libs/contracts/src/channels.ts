/**
 * Channel names (docs/contract.md, Events and Realtime): `catalog`, `product:{id}` (public), `user:{id}`, `order:{id}`
 * (private: owner or admin). Ids are UUIDs, so a name is at most 42 characters.
 */
export type Channel = `catalog` | `product:${string}` | `user:${string}` | `order:${string}`;

export type ParsedChannel =
  { kind: 'catalog'; name: 'catalog' } | { kind: 'product' | 'user' | 'order'; id: string; name: Channel };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const MAX_CHANNEL_LENGTH = 64;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/** Parses a channel name; `null` for anything that is not one of the contract's channels. */
export function parseChannel(name: unknown): ParsedChannel | null {
  if (typeof name !== 'string' || name.length > MAX_CHANNEL_LENGTH) return null;
  if (name === 'catalog') return { kind: 'catalog', name };
  const colon = name.indexOf(':');
  if (colon < 0) return null;
  const kind = name.slice(0, colon);
  const id = name.slice(colon + 1);
  if ((kind === 'product' || kind === 'user' || kind === 'order') && isUuid(id)) {
    return { kind, id, name: name as Channel };
  }
  return null;
}

export function isPrivateChannel(channel: ParsedChannel): boolean {
  return channel.kind === 'user' || channel.kind === 'order';
}

export const channels = {
  catalog: 'catalog' as const,
  product: (id: string): Channel => `product:${id}`,
  user: (id: string): Channel => `user:${id}`,
  order: (id: string): Channel => `order:${id}`,
};

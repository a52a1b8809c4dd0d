import { randomUUID } from 'node:crypto';
import type { RpcResponse } from '@tandem/contracts';
import type { Principal } from '@tandem/security';
import { CommercePort } from '../commerce/commerce.port.js';
import { ChannelAccessService } from './channel-access.service.js';
import { MemoryOrderOwners } from './order-owners.js';

/** Commerce that knows one order and its owner's token. */
class OneOrderCommerce extends CommercePort {
  asked = 0;
  constructor(
    private readonly orderId: string,
    private readonly ownerToken: string,
    private readonly failing = false,
  ) {
    super();
  }
  async orderStatus(orderId: string, token: string | undefined): Promise<number> {
    this.asked += 1;
    if (this.failing) throw new Error('commerce is down');
    if (orderId !== this.orderId) return 404;
    return token === this.ownerToken ? 200 : 404;
  }
  async call(): Promise<RpcResponse> {
    return { status: 500, headers: {}, body: null };
  }
}

const cache = { OWNERSHIP_CACHE_MAX: 100, OWNERSHIP_CACHE_TTL_SECONDS: 30 };
const user = (roles: Principal['roles'] = ['customer']): Principal => ({ id: randomUUID(), sid: 's', roles, exp: 0 });

describe('ChannelAccessService', () => {
  const orderId = randomUUID();
  let owners: MemoryOrderOwners;
  let commerce: OneOrderCommerce;
  let access: ChannelAccessService;

  beforeEach(() => {
    owners = new MemoryOrderOwners(1000, 60);
    commerce = new OneOrderCommerce(orderId, 'owner-token');
    access = new ChannelAccessService(owners, commerce, cache);
  });

  it('lets anyone, anonymous included, read public channels', async () => {
    expect(await access.check('catalog', undefined, undefined)).toEqual({ ok: true, channel: 'catalog' });
    const product = `product:${randomUUID()}`;
    expect(await access.check(product, undefined, undefined)).toEqual({ ok: true, channel: product });
  });

  it('refuses names that are not channels of the contract', async () => {
    for (const name of ['nope', 'product:1', 42, undefined, `user:${'x'.repeat(80)}`]) {
      expect(await access.check(name, user(), 't')).toMatchObject({ ok: false, code: 'invalid_channel' });
    }
  });

  it('gives user:{id} to that user and admins only', async () => {
    const alice = user();
    const channel = `user:${alice.id}`;
    expect(await access.check(channel, alice, 't')).toEqual({ ok: true, channel });
    expect(await access.check(channel, user(), 't')).toMatchObject({ ok: false, code: 'forbidden' });
    expect(await access.check(channel, undefined, undefined)).toMatchObject({ ok: false, code: 'forbidden' });
    expect(await access.check(channel, user(['admin']), 't')).toEqual({ ok: true, channel });
  });

  it('gives order:{id} to the owner learnt from its events without asking commerce', async () => {
    const alice = user();
    await owners.remember(orderId, alice.id);
    expect(await access.check(`order:${orderId}`, alice, 't')).toMatchObject({ ok: true });
    expect(await access.check(`order:${orderId}`, user(), 't')).toMatchObject({ ok: false, code: 'forbidden' });
    expect(commerce.asked).toBe(0);
  });

  it('asks commerce, with the caller token, about an order it has not seen', async () => {
    expect(await access.check(`order:${orderId}`, user(), 'owner-token')).toMatchObject({ ok: true });
    expect(await access.check(`order:${orderId}`, user(), 'someone-else')).toMatchObject({ code: 'forbidden' });
    expect(commerce.asked).toBe(2);
  });

  it('refuses when commerce cannot answer, and asks again next time', async () => {
    const failing = new OneOrderCommerce(orderId, 'owner-token', true);
    access = new ChannelAccessService(owners, failing, cache);
    const someone = user();
    expect(await access.check(`order:${orderId}`, someone, 'owner-token')).toMatchObject({ code: 'forbidden' });
    expect(await access.check(`order:${orderId}`, someone, 'owner-token')).toMatchObject({ code: 'forbidden' });
    expect(failing.asked).toBe(2);
  });

  it('reuses commerce answers, granted and refused, per order and user: lookups cannot hammer commerce', async () => {
    const owner = user();
    const stranger = user();
    const asks = [
      ...Array.from({ length: 20 }, () => access.check(`order:${orderId}`, owner, 'owner-token')),
      ...Array.from({ length: 20 }, () => access.check(`order:${orderId}`, stranger, 'other-token')),
    ];
    const decisions = await Promise.all(asks);
    expect(decisions.slice(0, 20).every((d) => d.ok)).toBe(true);
    expect(decisions.slice(20).every((d) => !d.ok)).toBe(true);
    expect(await access.check(`order:${orderId}`, stranger, 'other-token')).toMatchObject({ code: 'forbidden' });
    expect(commerce.asked).toBe(2); // one per (order, user), parallel asks included
  });
});

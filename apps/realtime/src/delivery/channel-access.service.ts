import { Inject, Injectable, Logger } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { isPrivateChannel, parseChannel } from '@tandem/contracts';
import type { SocketErrorCode } from '@tandem/contracts';
import { isAdmin } from '@tandem/security';
import type { Principal } from '@tandem/security';
import { CommercePort } from '../commerce/commerce.port.js';
import type { RealtimeSettings } from '../realtime.config.js';
import { REALTIME_SETTINGS } from '../realtime.tokens.js';
import { ORDER_OWNERS } from './order-owners.js';
import type { OrderOwners } from './order-owners.js';

type AccessDecision = { ok: true; channel: string } | { ok: false; code: SocketErrorCode; message: string };

/**
 * Who may subscribe to what (docs/contract.md, Realtime). Public: `catalog`, `product:*`. Private:
 * `user:{id}` for that user, `order:{id}` for its owner; admins everything. An order's owner comes
 * from the order events the gateway has seen, else from commerce itself (`GET /orders/:id` with
 * the caller's own token answers 200 only to the owner or an admin). Commerce's answers, granted
 * or refused, are kept per (order, user) for OWNERSHIP_CACHE_TTL_SECONDS, and one lookup serves
 * parallel asks: repeated subscribes cannot be used to hammer commerce (docs/realtime.md, "Limits").
 */
@Injectable()
export class ChannelAccessService {
  private readonly logger = new Logger('realtime:access');

  private readonly answers: LRUCache<string, boolean, string | undefined>;

  constructor(
    @Inject(ORDER_OWNERS) private readonly owners: OrderOwners,
    private readonly commerce: CommercePort,
    @Inject(REALTIME_SETTINGS) settings: Pick<RealtimeSettings, 'OWNERSHIP_CACHE_MAX' | 'OWNERSHIP_CACHE_TTL_SECONDS'>,
  ) {
    this.answers = new LRUCache<string, boolean, string | undefined>({
      max: settings.OWNERSHIP_CACHE_MAX,
      ttl: settings.OWNERSHIP_CACHE_TTL_SECONDS * 1000,
      // One commerce call per (order, user), however many ask at once; a failed call is not kept.
      fetchMethod: async (key, _stale, { context }) => {
        const orderId = key.slice(0, key.indexOf(' '));
        return (await this.commerce.orderStatus(orderId, context)) === 200;
      },
    });
  }

  async check(name: unknown, principal: Principal | undefined, token: string | undefined): Promise<AccessDecision> {
    const channel = parseChannel(name);
    if (!channel) return { ok: false, code: 'invalid_channel', message: 'not a channel of the contract' };
    if (!isPrivateChannel(channel)) return { ok: true, channel: channel.name };
    const forbidden: AccessDecision = { ok: false, code: 'forbidden', message: 'this channel is private' };
    if (!principal) return forbidden;
    if (isAdmin(principal)) return { ok: true, channel: channel.name };
    if (channel.kind === 'user') return channel.id === principal.id ? { ok: true, channel: channel.name } : forbidden;
    if (channel.kind !== 'order') return forbidden;
    const owner = await this.owners.ownerOf(channel.id);
    if (owner !== undefined) return owner === principal.id ? { ok: true, channel: channel.name } : forbidden;
    try {
      const allowed = await this.answers.fetch(`${channel.id} ${principal.id}`, { context: token });
      return allowed ? { ok: true, channel: channel.name } : forbidden;
    } catch (error) {
      this.logger.warn(`order ownership lookup failed: ${(error as Error).message}`);
      return forbidden;
    }
  }
}

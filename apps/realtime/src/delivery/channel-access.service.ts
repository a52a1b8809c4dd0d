import { Inject, Injectable, Logger } from '@nestjs/common';
import { isPrivateChannel, parseChannel } from '@tandem/contracts';
import type { SocketErrorCode } from '@tandem/contracts';
import { isAdmin } from '@tandem/security';
import type { Principal } from '@tandem/security';
import { CommercePort } from '../commerce/commerce.port.js';
import { ORDER_OWNERS } from './order-owners.js';
import type { OrderOwners } from './order-owners.js';

type AccessDecision = { ok: true; channel: string } | { ok: false; code: SocketErrorCode; message: string };

/**
 * Who may subscribe to what (docs/contract.md, Realtime). Public: `catalog`, `product:*`. Private:
 * `user:{id}` for that user, `order:{id}` for its owner; admins everything. An order's owner comes
 * from the order events the gateway has seen, else from commerce itself (`GET /orders/:id` with
 * the caller's own token answers 200 only to the owner or an admin).
 */
@Injectable()
export class ChannelAccessService {
  private readonly logger = new Logger('realtime:access');

  constructor(
    @Inject(ORDER_OWNERS) private readonly owners: OrderOwners,
    private readonly commerce: CommercePort,
  ) {}

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
      const status = await this.commerce.orderStatus(channel.id, token);
      return status === 200 ? { ok: true, channel: channel.name } : forbidden;
    } catch (error) {
      this.logger.warn(`order ownership lookup failed: ${(error as Error).message}`);
      return forbidden;
    }
  }
}

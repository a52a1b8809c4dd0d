import { Injectable } from '@nestjs/common';
import type { Principal } from '@tandem/security';
import { RealtimeMetrics } from '../ops/realtime.metrics.js';
import type { Subscriber } from './subscriber.js';

/**
 * Every client of this replica, socket or SSE stream, and the one place that knows them: by id,
 * by user, by session (`sid`) and by channel. Fan-out, resync, drain and revocation all read it; the
 * connection and subscription gauges follow it (connection caps are ConnectionSlots'). While `draining`,
 * no new client is accepted (docs/realtime.md, "Shutdown and rollout").
 */
@Injectable()
export class ClientRegistry {
  private readonly byId = new Map<string, Subscriber>();
  private readonly byUser = new Map<string, Set<Subscriber>>();
  private readonly bySession = new Map<string, Set<Subscriber>>();
  private readonly byChannel = new Map<string, Set<Subscriber>>();
  /** Set on shutdown: new connections and streams are refused while the others drain. */
  draining = false;

  constructor(private readonly metrics: RealtimeMetrics) {}

  get accepting(): boolean {
    return !this.draining;
  }

  add(client: Subscriber): void {
    if (this.byId.has(client.id)) return;
    this.byId.set(client.id, client);
    this.gauge(client).inc();
    if (client.principal) this.index(client, client.principal);
  }

  /** Forgets a client that went away: its indexes, its subscriptions and its expiry timer. */
  remove(client: Subscriber): void {
    if (this.byId.get(client.id) !== client) return;
    this.byId.delete(client.id);
    this.gauge(client).dec();
    clearTimeout(client.expiry);
    for (const channel of [...client.channels]) this.leave(client, channel);
    client.dispose();
    if (client.principal) this.unindex(client, client.principal);
  }

  /** Records who the client now is (sign-in or token swap) with the token that proves it. */
  identify(client: Subscriber, principal: Principal, token: string): void {
    const known = this.byId.get(client.id) === client;
    if (known && client.principal) this.unindex(client, client.principal);
    client.principal = principal;
    client.token = token;
    if (known) this.index(client, principal);
  }

  /** Adds a channel to the client; false when it already had it or is gone (closed mid-subscribe). */
  join(client: Subscriber, channel: string): boolean {
    if (this.byId.get(client.id) !== client || client.channels.has(channel)) return false;
    client.channels.add(channel);
    addTo(this.byChannel, channel, client);
    this.metrics.subscriptions.inc();
    return true;
  }

  leave(client: Subscriber, channel: string): void {
    if (!client.channels.delete(channel)) return;
    client.stopConflating(channel);
    removeFrom(this.byChannel, channel, client);
    this.metrics.subscriptions.dec();
  }

  get(id: string): Subscriber | undefined {
    return this.byId.get(id);
  }

  all(): Subscriber[] {
    return [...this.byId.values()];
  }

  /** Clients subscribed to any of `channels`, each once. */
  inChannels(channels: readonly string[]): Set<Subscriber> {
    const clients = new Set<Subscriber>();
    for (const channel of channels) for (const client of this.byChannel.get(channel) ?? []) clients.add(client);
    return clients;
  }

  ofSession(sid: string): Subscriber[] {
    return [...(this.bySession.get(sid) ?? [])];
  }

  /** This replica's sockets of a user (SSE streams are not counted against the socket cap). */
  socketsOfUser(userId: string): number {
    let count = 0;
    for (const client of this.byUser.get(userId) ?? []) if (client.transport === 'socket') count += 1;
    return count;
  }

  private gauge(client: Subscriber) {
    return client.transport === 'socket' ? this.metrics.connectedSockets : this.metrics.sseStreams;
  }

  private index(client: Subscriber, principal: Principal): void {
    addTo(this.byUser, principal.id, client);
    addTo(this.bySession, principal.sid, client);
  }

  private unindex(client: Subscriber, principal: Principal): void {
    removeFrom(this.byUser, principal.id, client);
    removeFrom(this.bySession, principal.sid, client);
  }
}

function addTo<K, V>(index: Map<K, Set<V>>, key: K, value: V): void {
  let set = index.get(key);
  if (!set) index.set(key, (set = new Set()));
  set.add(value);
}

function removeFrom<K, V>(index: Map<K, Set<V>>, key: K, value: V): void {
  const set = index.get(key);
  if (!set) return;
  set.delete(value);
  if (set.size === 0) index.delete(key);
}

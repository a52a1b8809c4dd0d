import { Injectable } from '@nestjs/common';
import type { OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { OutboxRelay } from '@tandem/messaging';

/**
 * The relay normally wakes on NOTIFY through a LISTEN connection; the embedded database has one
 * session and does not deliver NOTIFY across socket connections. Every commit of this process
 * wakes it instead (all writers live in this process), and the relay's poll stays the backstop.
 */
@Injectable()
export class RelayWaker implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly relay: OutboxRelay,
  ) {}

  onModuleInit(): void {
    this.dataSource.subscribers.push({ afterTransactionCommit: () => this.relay.wake() });
  }
}

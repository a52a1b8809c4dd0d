import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * One event waiting to leave (or already relayed). Written in the same transaction as the state
 * change it describes; `offset` is the stream offset of the contract.
 */
@Entity({ name: 'outbox' })
export class OutboxRecord {
  /** bigint comes back from pg as a string; it stays below 2^53 for any realistic stream. */
  @PrimaryColumn({
    type: 'bigint',
    name: 'offset',
    transformer: { to: (v: number) => v, from: (v: string) => Number(v) },
  })
  offset!: number;

  @Column({ type: 'uuid', unique: true })
  id!: string;

  @Column({ type: 'text' })
  type!: string;

  @Column({ type: 'text', array: true })
  channels!: string[];

  @Column({ type: 'jsonb' })
  data!: unknown;

  @Column({ type: 'timestamptz', name: 'occurred_at' })
  occurredAt!: Date;

  @Column({ type: 'timestamptz', name: 'published_at', nullable: true })
  publishedAt!: Date | null;
}

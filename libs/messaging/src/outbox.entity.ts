import { Column, Entity, PrimaryColumn } from 'typeorm';

/** bigint comes back from pg as a string; it stays below 2^53 for any realistic stream. */
const bigintNumber = {
  to: (v: number | null) => v,
  from: (v: string | null) => (v === null ? null : Number(v)),
};

/**
 * One event waiting to leave (or already relayed). Written in the same transaction as the state
 * change it describes, with only an insertion sequence `seq`; `offset`, the stream offset of the
 * contract, is assigned by the relay when it takes the committed row (docs/events.md, "Offsets
 * and `X-Stream-Offset`").
 */
@Entity({ name: 'outbox' })
export class OutboxRecord {
  @PrimaryColumn({ type: 'bigint', transformer: bigintNumber })
  seq!: number;

  @Column({ type: 'bigint', name: 'offset', nullable: true, unique: true, transformer: bigintNumber })
  offset!: number | null;

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

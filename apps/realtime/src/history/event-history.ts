import type { EventEnvelope } from '@tandem/contracts';

export interface Replay {
  /** False when events after `since` may have left the history (the client re-reads over REST). */
  recovered: boolean;
  /** Events of the channel with offset > since, oldest first (empty when not recovered). */
  events: EventEnvelope[];
}

export interface HistoryLimits {
  maxEvents: number;
  maxAgeMs: number;
}

/**
 * Bounded per-channel history for `since` replay (docs/realtime.md, "History and `recovered`").
 * Recovery is decided by two watermarks: per channel, the highest offset ever trimmed for size;
 * globally, a floor below which nothing is known (offsets recorded before the history started, or
 * aged out). `since` at or above both means every later event of the channel is still here,
 * including "there were none".
 */
export interface EventHistory {
  record(envelope: EventEnvelope): Promise<void>;
  /**
   * Events of `channel` after `since`; more than `max` of them is `recovered: false` (a replay is
   * bounded: docs/realtime.md, "Limits"; the client re-reads over REST instead).
   */
  since(channel: string, since: number, max: number): Promise<Replay>;
}

export const EVENT_HISTORY = Symbol('EVENT_HISTORY');

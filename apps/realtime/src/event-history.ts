import type { Redis } from 'ioredis';
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
 * Bounded per-channel history for `since` replay (issue 4 §4). Recovery is decided by two
 * watermarks: per channel, the highest offset ever trimmed for size; globally, a floor below which
 * nothing is known (offsets recorded before the history started, or aged out). `since` at or above
 * both means every later event of the channel is still here, including "there were none".
 */
export interface EventHistory {
  record(envelope: EventEnvelope): Promise<void>;
  since(channel: string, since: number): Promise<Replay>;
}

export const EVENT_HISTORY = Symbol('EVENT_HISTORY');

interface Kept {
  envelope: EventEnvelope;
  at: number;
}

/** Single-replica history (no REDIS_URL, standalone). */
export class MemoryEventHistory implements EventHistory {
  private readonly channels = new Map<string, { events: Kept[]; trimmed: number; touched: number }>();
  private floor = -1;

  constructor(
    private readonly limits: HistoryLimits,
    private readonly now: () => number = Date.now,
  ) {}

  async record(envelope: EventEnvelope): Promise<void> {
    const now = this.now();
    if (this.floor < 0) this.floor = envelope.offset - 1;
    for (const channel of envelope.channels) {
      let entry = this.channels.get(channel);
      if (!entry) {
        entry = { events: [], trimmed: 0, touched: now };
        this.channels.set(channel, entry);
      }
      entry.touched = now;
      const events = entry.events;
      if (events.some((kept) => kept.envelope.id === envelope.id)) continue;
      // Offsets almost always arrive in order: walk back from the end to the insertion point.
      let index = events.length;
      while (index > 0 && events[index - 1]!.envelope.offset > envelope.offset) index -= 1;
      events.splice(index, 0, { envelope, at: now });
      this.trim(channel, now);
    }
    this.sweep(now);
  }

  async since(channel: string, since: number): Promise<Replay> {
    this.trim(channel, this.now());
    const entry = this.channels.get(channel);
    const recovered = since >= this.floor && since >= (entry?.trimmed ?? 0);
    if (!recovered) return { recovered, events: [] };
    return {
      recovered,
      events: (entry?.events ?? []).filter((kept) => kept.envelope.offset > since).map((kept) => kept.envelope),
    };
  }

  private trim(channel: string, now: number): void {
    const entry = this.channels.get(channel);
    if (!entry) return;
    const { events } = entry;
    while (events.length > this.limits.maxEvents || (events.length > 0 && now - events[0]!.at > this.limits.maxAgeMs)) {
      const dropped = events.shift()!;
      entry.trimmed = Math.max(entry.trimmed, dropped.envelope.offset);
    }
  }

  private lastSweep = 0;
  /** Forgets idle channels; what they held raises the global floor so recovery stays honest. */
  private sweep(now: number): void {
    if (now - this.lastSweep < 60_000) return;
    this.lastSweep = now;
    for (const [channel, entry] of this.channels) {
      if (now - entry.touched <= this.limits.maxAgeMs) continue;
      const newest = entry.events.at(-1)?.envelope.offset ?? entry.trimmed;
      this.floor = Math.max(this.floor, newest, entry.trimmed);
      this.channels.delete(channel);
    }
  }
}

const RECORD = `
redis.call('SET', KEYS[1], ARGV[7], 'NX')
local last = redis.call('LINDEX', KEYS[2], -1)
if (not last) or (tonumber(ARGV[3]) - tonumber(string.match(last, '^(%d+):')) >= 1000) then
  redis.call('RPUSH', KEYS[2], ARGV[3] .. ':' .. ARGV[1])
end
local maxEvents = tonumber(ARGV[4])
for i = 3, #KEYS, 2 do
  local h = KEYS[i]
  local t = KEYS[i + 1]
  redis.call('ZADD', h, ARGV[1], ARGV[2])
  local n = redis.call('ZCARD', h)
  if n > maxEvents then
    local cut = redis.call('ZRANGE', h, n - maxEvents - 1, n - maxEvents - 1, 'WITHSCORES')
    redis.call('ZREMRANGEBYRANK', h, 0, n - maxEvents - 1)
    local prev = redis.call('GET', t)
    if (not prev) or tonumber(cut[2]) > tonumber(prev) then redis.call('SET', t, cut[2]) end
  end
  redis.call('EXPIRE', h, ARGV[6])
  redis.call('EXPIRE', t, ARGV[6])
end
return 1
`;

const READ = `
local cutoff = tonumber(ARGV[2]) - tonumber(ARGV[3])
local floor = redis.call('GET', KEYS[1])
while true do
  local first = redis.call('LINDEX', KEYS[2], 0)
  if not first then break end
  local t, o = string.match(first, '^(%d+):(%d+)$')
  if tonumber(t) >= cutoff then break end
  redis.call('LPOP', KEYS[2])
  if (not floor) or tonumber(o) > tonumber(floor) then floor = o end
end
if floor then redis.call('SET', KEYS[1], floor) end
return { floor or '', redis.call('GET', KEYS[4]) or '0', redis.call('ZRANGEBYSCORE', KEYS[3], '(' .. ARGV[1], '+inf') }
`;

/**
 * Shared history for every replica: one sorted set per channel (score = offset), a per-channel
 * trim watermark, and a global floor aged forward by one (time, offset) mark per second. Channel
 * keys expire once idle for longer than the age limit; whatever they held is then below the floor.
 */
export class RedisEventHistory implements EventHistory {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly limits: HistoryLimits,
  ) {}

  async record(envelope: EventEnvelope): Promise<void> {
    const keys = [`${this.prefix}history:floor`, `${this.prefix}history:marks`];
    for (const channel of envelope.channels) {
      keys.push(`${this.prefix}history:c:${channel}`, `${this.prefix}history:t:${channel}`);
    }
    const ttlSeconds = Math.ceil(this.limits.maxAgeMs / 1000) + 60;
    await this.redis.eval(
      RECORD,
      keys.length,
      ...keys,
      String(envelope.offset),
      JSON.stringify(envelope),
      String(Date.now()),
      String(this.limits.maxEvents),
      String(this.limits.maxAgeMs),
      String(ttlSeconds),
      String(envelope.offset - 1),
    );
  }

  async since(channel: string, since: number): Promise<Replay> {
    const [floor, trimmed, members] = (await this.redis.eval(
      READ,
      4,
      `${this.prefix}history:floor`,
      `${this.prefix}history:marks`,
      `${this.prefix}history:c:${channel}`,
      `${this.prefix}history:t:${channel}`,
      String(since),
      String(Date.now()),
      String(this.limits.maxAgeMs),
    )) as [string, string, string[]];
    const recovered = (floor === '' || since >= Number(floor)) && since >= Number(trimmed);
    if (!recovered) return { recovered, events: [] };
    return { recovered, events: members.map((member) => JSON.parse(member) as EventEnvelope) };
  }
}

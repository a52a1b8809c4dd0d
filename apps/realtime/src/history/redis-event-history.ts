import type { Redis } from 'ioredis';
import type { EventEnvelope } from '@tandem/contracts';
import type { EventHistory, HistoryLimits, Replay } from './event-history.js';

const RECORD = `
redis.call('SET', KEYS[1], ARGV[6], 'NX')
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
  redis.call('EXPIRE', h, ARGV[5])
  redis.call('EXPIRE', t, ARGV[5])
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
return { floor or '', redis.call('GET', KEYS[4]) or '0', redis.call('ZRANGEBYSCORE', KEYS[3], '(' .. ARGV[1], '+inf', 'LIMIT', 0, ARGV[4]) }
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
      String(ttlSeconds),
      String(envelope.offset - 1),
    );
  }

  async since(channel: string, since: number, max: number): Promise<Replay> {
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
      String(max + 1), // one more than allowed tells "too many" without reading them all
    )) as [string, string, string[]];
    const recovered = (floor === '' || since >= Number(floor)) && since >= Number(trimmed) && members.length <= max;
    if (!recovered) return { recovered, events: [] };
    return { recovered, events: members.map((member) => JSON.parse(member) as EventEnvelope) };
  }
}

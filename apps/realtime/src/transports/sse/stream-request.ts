import { CONFLATE_MAX_MS, CONFLATE_MIN_MS } from '@tandem/contracts';

/** The query and headers of `GET /api/v1/stream`, checked (docs/contract.md, SSE). */
interface StreamRequest {
  /** Channel names as asked (deduplicated, trimmed); access is checked afterwards. */
  names: string[];
  /** From `Last-Event-ID`: replay like `since`. */
  since?: number;
  /** `conflate` query parameter: the socket's `subscribe` `conflate` for every channel of the stream. */
  conflate?: number;
}

/** A field and why it is wrong (a 400 problem's `errors` entry). */
interface StreamRequestProblem {
  title: string;
  field: string;
  message: string;
}

const MAX_CHANNELS_PARAM = 2048;

export function parseStreamRequest(
  channels: unknown,
  lastEventId: string | undefined,
  maxChannels: number,
  conflate?: unknown,
): StreamRequest | StreamRequestProblem {
  if (typeof channels !== 'string' || channels.length === 0 || channels.length > MAX_CHANNELS_PARAM) {
    return { title: 'channels is required', field: 'channels', message: 'comma-separated channels' };
  }
  const names = [...new Set(channels.split(',').map((name) => name.trim()))];
  if (names.length > maxChannels) {
    const message = `at most ${maxChannels} channels`;
    return { title: message, field: 'channels', message };
  }
  let window: number | undefined;
  if (conflate !== undefined) {
    window = typeof conflate === 'string' && /^\d{1,5}$/.test(conflate) ? Number(conflate) : Number.NaN;
    if (!(window >= CONFLATE_MIN_MS && window <= CONFLATE_MAX_MS)) {
      const message = `an integer from ${CONFLATE_MIN_MS} to ${CONFLATE_MAX_MS} (ms)`;
      return { title: 'conflate is out of range', field: 'conflate', message };
    }
  }
  const options = window === undefined ? {} : { conflate: window };
  if (lastEventId === undefined || lastEventId === '') return { names, ...options };
  if (!/^\d{1,15}$/.test(lastEventId)) {
    return {
      title: 'Last-Event-ID must be an offset',
      field: 'Last-Event-ID',
      message: 'must be a non-negative integer',
    };
  }
  return { names, since: Number(lastEventId), ...options };
}

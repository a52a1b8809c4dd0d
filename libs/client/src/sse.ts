import { createParser } from 'eventsource-parser';
import type { FetchLike } from './http.js';

export interface SseMessage {
  /** `message` when the server named no event type (as EventSource does). */
  event: string;
  data: string;
  id?: string;
}

export interface SseHandlers {
  onMessage(message: SseMessage): void;
  onComment(text: string): void;
}

/** A stream event larger than this is a broken or hostile server: the stream is dropped. */
const MAX_BUFFER_CHARS = 1024 * 1024;

/** The event stream answered something other than 200 with a body. */
export class EventStreamError extends Error {
  constructor(readonly status: number) {
    super(`event stream answered ${status}`);
    this.name = 'EventStreamError';
  }
}

/**
 * Reads a text/event-stream over fetch rather than EventSource: EventSource cannot send an
 * Authorization header, and the stream takes the access token as a Bearer header (a token in the
 * URL would end up in proxy logs; docs/contract.md, Server-Sent Events fallback). Works the same in
 * browsers and in Node. Resolves when the server ends the stream; rejects on a network error, a
 * non-200 answer (`EventStreamError`) or an event over the size limit.
 */
export async function readEventStream(
  fetchImpl: FetchLike,
  url: string,
  headers: Record<string, string>,
  signal: AbortSignal,
  handlers: SseHandlers,
): Promise<void> {
  const response = await fetchImpl(url, { headers: { Accept: 'text/event-stream', ...headers }, signal });
  if (response.status !== 200 || !response.body) {
    await response.body?.cancel().catch(() => undefined);
    throw new EventStreamError(response.status);
  }
  let failure: Error | undefined;
  const parser = createParser({
    maxBufferSize: MAX_BUFFER_CHARS,
    onEvent: ({ event, data, id }) => handlers.onMessage({ event: event ?? 'message', data, id }),
    onComment: (text) => handlers.onComment(text.trim()),
    onError: (error) => {
      // Unparseable lines are skipped; only an overlong event ends the stream.
      if (error.type === 'max-buffer-size-exceeded') failure = error;
    },
  });
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    parser.feed(value);
    if (failure) {
      await reader.cancel().catch(() => undefined);
      throw failure;
    }
  }
}

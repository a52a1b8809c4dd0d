import type { FetchLike } from './http.js';

export interface SseMessage {
  event: string;
  data: string;
  id?: string;
}

export interface SseHandlers {
  onMessage(message: SseMessage): void;
  onComment(text: string): void;
}

/**
 * Reads a text/event-stream over fetch rather than EventSource: EventSource cannot send an
 * Authorization header, and the contract's stream takes the access token as a Bearer header (a
 * token in the URL would end up in proxy logs). Works the same in browsers and in Node ≥ 18.
 * Resolves when the server ends the stream; rejects on a network error or a non-200 answer.
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
    const error = new Error(`event stream answered ${response.status}`) as Error & { status: number };
    error.status = response.status;
    await response.body?.cancel().catch(() => undefined);
    throw error;
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let event = '';
  let data: string[] = [];
  let id: string | undefined;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let newline: number;
    while ((newline = buffer.search(/\r\n|\n|\r/)) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
      if (line === '') {
        if (data.length > 0) handlers.onMessage({ event: event || 'message', data: data.join('\n'), id });
        event = '';
        data = [];
        id = undefined;
      } else if (line.startsWith(':')) {
        handlers.onComment(line.slice(1).trim());
      } else {
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const fieldValue = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event = fieldValue;
        else if (field === 'data') data.push(fieldValue);
        else if (field === 'id') id = fieldValue;
      }
    }
  }
}

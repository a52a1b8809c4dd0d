import { EventStreamError, readEventStream } from './sse.js';
import type { SseMessage } from './sse.js';

/** A fetch answering with a stream of the given chunks; `open` leaves it open after them. */
function streaming(chunks: string[], status = 200, open = false) {
  const encoder = new TextEncoder();
  const requests: { url: string; init?: RequestInit }[] = [];
  let cancelled = false;
  const fetchImpl = async (url: string, init?: RequestInit) => {
    requests.push({ url, init });
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
        if (!open) controller.close();
      },
      cancel() {
        cancelled = true;
      },
    });
    return new Response(body, { status, headers: { 'Content-Type': 'text/event-stream' } });
  };
  return { fetchImpl, requests, cancelled: () => cancelled };
}

async function read(chunks: string[]) {
  const { fetchImpl } = streaming(chunks);
  const messages: SseMessage[] = [];
  const comments: string[] = [];
  await readEventStream(fetchImpl, 'http://x/api/v1/stream', {}, new AbortController().signal, {
    onMessage: (message) => messages.push(message),
    onComment: (text) => comments.push(text),
  });
  return { messages, comments };
}

describe('readEventStream', () => {
  it('sends Accept and the given headers', async () => {
    const { fetchImpl, requests } = streaming([': ok\n\n']);
    await readEventStream(
      fetchImpl,
      'http://x/api/v1/stream?channels=catalog',
      { Authorization: 'Bearer t', 'Last-Event-ID': '41' },
      new AbortController().signal,
      { onMessage: () => undefined, onComment: () => undefined },
    );
    expect(requests[0]!.url).toBe('http://x/api/v1/stream?channels=catalog');
    expect(requests[0]!.init?.headers).toEqual({
      Accept: 'text/event-stream',
      Authorization: 'Bearer t',
      'Last-Event-ID': '41',
    });
  });

  it('parses comments, ids, event names and multi-line data', async () => {
    const { messages, comments } = await read([
      ': ok\n\n',
      'id: 7\nevent: inventory.changed\ndata: {"a":1}\n\n',
      'data: line one\ndata: line two\n\n',
    ]);
    expect(comments).toEqual(['ok']);
    expect(messages).toEqual([
      { event: 'inventory.changed', data: '{"a":1}', id: '7' },
      { event: 'message', data: 'line one\nline two', id: undefined },
    ]);
  });

  it('reassembles events split anywhere across chunks, with CRLF or CR line ends', async () => {
    const { messages } = await read([
      'ev',
      'ent: resync\r',
      '\ndata: {"channels":',
      '["catalog"]}\r\r',
      'data: x\n',
      '\n',
    ]);
    expect(messages).toEqual([
      { event: 'resync', data: '{"channels":["catalog"]}', id: undefined },
      { event: 'message', data: 'x', id: undefined },
    ]);
  });

  it('decodes a multi-byte character split between chunks', async () => {
    const bytes = new TextEncoder().encode('data: café\n\n');
    const split = bytes.indexOf(0xc3) + 1;
    const fetchImpl = async () =>
      new Response(
        new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(bytes.slice(0, split));
            controller.enqueue(bytes.slice(split));
            controller.close();
          },
        }),
      );
    const messages: SseMessage[] = [];
    await readEventStream(fetchImpl, 'u', {}, new AbortController().signal, {
      onMessage: (message) => messages.push(message),
      onComment: () => undefined,
    });
    expect(messages.map((m) => m.data)).toEqual(['café']);
  });

  it('skips an event without data and ignores unknown fields', async () => {
    const { messages } = await read(['event: ping\n\n', 'retry: 1000\nfoo: bar\ndata: kept\n\n']);
    expect(messages).toEqual([{ event: 'message', data: 'kept', id: undefined }]);
  });

  it('rejects with the status on a non-200 answer', async () => {
    const { fetchImpl } = streaming(['{"type":"unauthorized"}'], 401);
    const reading = readEventStream(fetchImpl, 'u', {}, new AbortController().signal, {
      onMessage: () => undefined,
      onComment: () => undefined,
    });
    await expect(reading).rejects.toBeInstanceOf(EventStreamError);
    await expect(reading).rejects.toMatchObject({ status: 401 });
  });

  it('drops a stream whose event grows past the size limit', async () => {
    const { fetchImpl, cancelled } = streaming(['data: ', 'x'.repeat(2 * 1024 * 1024)], 200, true);
    const messages: SseMessage[] = [];
    await expect(
      readEventStream(fetchImpl, 'u', {}, new AbortController().signal, {
        onMessage: (message) => messages.push(message),
        onComment: () => undefined,
      }),
    ).rejects.toMatchObject({ type: 'max-buffer-size-exceeded' });
    expect(messages).toEqual([]);
    expect(cancelled()).toBe(true);
  });

  it('rejects when aborted', async () => {
    const abort = new AbortController();
    const fetchImpl = async (_url: string, init?: RequestInit) =>
      new Response(
        new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(new TextEncoder().encode(': ok\n\n'));
            init?.signal?.addEventListener('abort', () => controller.error(new DOMException('aborted', 'AbortError')));
          },
        }),
      );
    const reading = readEventStream(fetchImpl, 'u', {}, abort.signal, {
      onMessage: () => undefined,
      onComment: () => abort.abort(),
    });
    await expect(reading).rejects.toMatchObject({ name: 'AbortError' });
  });
});

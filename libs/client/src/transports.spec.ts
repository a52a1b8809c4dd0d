import { SseTransport } from './transports.js';
import type { TransportOptions } from './transports.js';

/** A fetch that opens an SSE stream (`: ok`) and keeps it open, recording each URL. */
function openStreams() {
  const urls: string[] = [];
  const fetchImpl = async (url: string) => {
    urls.push(url);
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => controller.enqueue(new TextEncoder().encode(': ok\n\n')),
    });
    return new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
  };
  return { urls, fetchImpl };
}

const options = (): TransportOptions => ({
  baseUrl: 'http://shop',
  token: async () => null,
  reconnectMinMs: 10,
  reconnectMaxMs: 100,
  events: {
    onConnected: () => undefined,
    onDisconnected: () => undefined,
    onEnvelope: () => undefined,
    onResync: () => undefined,
    onUnauthorized: () => undefined,
  },
});

describe('SseTransport conflation (docs/client-sdk.md, "Conflation")', () => {
  it('asks for the shortest window when every channel conflates, and for none otherwise', async () => {
    const { urls, fetchImpl } = openStreams();
    const transport = new SseTransport(options(), fetchImpl, () => undefined);
    try {
      await transport.subscribe('catalog', undefined, 500);
      expect(new URL(urls.at(-1)!).searchParams.get('conflate')).toBe('500');
      await transport.subscribe('product:p1', undefined, 250);
      expect(new URL(urls.at(-1)!).searchParams.get('conflate')).toBe('250');
      await transport.subscribe('product:p1', undefined, 250); // unchanged: no reopen
      expect(urls).toHaveLength(2);
      await transport.subscribe('order:o1', undefined, undefined);
      expect(new URL(urls.at(-1)!).searchParams.has('conflate')).toBe(false);
      expect(new URL(urls.at(-1)!).searchParams.get('channels')).toBe('catalog,product:p1,order:o1');
    } finally {
      transport.close();
    }
  });
});

import { rpcResponse, UnavailableCommercePort } from './commerce.port.js';

const headers = (values: Record<string, string>) => (name: string) => values[name];

describe('rpcResponse (what either port hands back to the rpc caller)', () => {
  it('returns only the headers a caller may see', () => {
    const answer = rpcResponse(
      200,
      headers({ 'content-type': 'application/json', etag: '"3"', 'set-cookie': 'sid=1', 'x-stream-offset': '9' }),
      '{"id":1}',
    );
    expect(answer).toEqual({
      status: 200,
      headers: { 'content-type': 'application/json', etag: '"3"', 'x-stream-offset': '9' },
      body: { id: 1 },
    });
  });

  it('parses problem+json as a value, keeps other bodies as text and no body as null', () => {
    expect(rpcResponse(404, headers({ 'content-type': 'application/problem+json' }), '{"status":404}').body).toEqual({
      status: 404,
    });
    expect(rpcResponse(200, headers({ 'content-type': 'text/plain' }), 'plain').body).toBe('plain');
    expect(rpcResponse(204, headers({}), '').body).toBeNull();
  });

  it('keeps a JSON-typed body that does not parse as text instead of failing', () => {
    expect(rpcResponse(502, headers({ 'content-type': 'application/json' }), '<html>').body).toBe('<html>');
  });
});

describe('UnavailableCommercePort (no COMMERCE_URL, nothing injected)', () => {
  it('answers rpc with 503 and unseen orders as not found', async () => {
    const port = new UnavailableCommercePort();
    expect(await port.call()).toEqual({
      status: 503,
      headers: {},
      body: null,
    });
    expect(await port.orderStatus()).toBe(404);
  });
});

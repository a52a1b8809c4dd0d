import { jest } from '@jest/globals';
import { HttpCommercePort } from './http-commerce.port.js';

type Fetch = typeof fetch;

describe('HttpCommercePort', () => {
  let fetchMock: jest.Mock<Fetch>;
  let original: Fetch;

  beforeEach(() => {
    original = globalThis.fetch;
    fetchMock = jest.fn<Fetch>();
    globalThis.fetch = fetchMock;
  });

  afterEach(() => {
    globalThis.fetch = original;
  });

  const port = () => new HttpCommercePort('http://commerce.internal:3002', 1000);
  const sent = (call = 0) => {
    const [url, init] = fetchMock.mock.calls[call]!;
    return { url: String(url), init: init! };
  };

  it('asks GET /api/v1/orders/:id with the caller token and answers its status', async () => {
    fetchMock.mockResolvedValue(new Response('{}', { status: 200 }));
    expect(await port().orderStatus('o1', 'tok')).toBe(200);
    expect(sent().url).toBe('http://commerce.internal:3002/api/v1/orders/o1');
    expect(sent().init.headers).toEqual({ authorization: 'Bearer tok' });
  });

  it('does not ask about an order without a token', async () => {
    expect(await port().orderStatus('o1', undefined)).toBe(404);
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it('forwards a call with the socket token over the caller headers, JSON body, and returns the allowed headers', async () => {
    fetchMock.mockResolvedValue(
      new Response(JSON.stringify({ id: 'o1' }), {
        status: 201,
        headers: { 'content-type': 'application/json', 'x-stream-offset': '42', 'set-cookie': 'a=b' },
      }),
    );
    const answer = await port().call(
      { method: 'POST', path: '/api/v1/orders', headers: { 'idempotency-key': 'k' }, body: { items: [] } },
      'tok',
    );
    expect(answer).toEqual({
      status: 201,
      headers: { 'content-type': 'application/json', 'x-stream-offset': '42' },
      body: { id: 'o1' },
    });
    expect(sent().init).toMatchObject({
      method: 'POST',
      body: '{"items":[]}',
      redirect: 'manual',
      headers: { 'idempotency-key': 'k', authorization: 'Bearer tok', 'content-type': 'application/json' },
    });
  });

  it('answers 502 when commerce cannot be reached, and keeps a non-JSON body as text', async () => {
    fetchMock.mockRejectedValueOnce(new Error('ECONNREFUSED'));
    expect(await port().call({ method: 'GET', path: '/api/v1/products' }, undefined)).toEqual({
      status: 502,
      headers: {},
      body: null,
    });
    fetchMock.mockResolvedValueOnce(new Response('oops', { status: 500, headers: { 'content-type': 'text/plain' } }));
    expect(await port().call({ method: 'GET', path: '/api/v1/products' }, undefined)).toMatchObject({
      status: 500,
      body: 'oops',
    });
  });

  it('never leaves the commerce origin', async () => {
    expect(await port().call({ method: 'GET', path: '//evil.example/x' }, 'tok')).toMatchObject({ status: 502 });
    expect(fetchMock).not.toHaveBeenCalled();
  });
});

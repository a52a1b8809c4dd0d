import { AuthPayload, RpcPayload, SubscribePayload, UnsubscribePayload, validatePayload } from './socket-payloads.js';

const invalid = { ok: false, message: expect.any(String) };

describe('socket payload schemas', () => {
  it('accepts subscribe { channel, since? }', () => {
    expect(validatePayload(SubscribePayload, { channel: 'catalog' })).toEqual({
      ok: true,
      payload: expect.objectContaining({ channel: 'catalog' }),
    });
    const withSince = validatePayload(SubscribePayload, { channel: 'catalog', since: 0 });
    expect(withSince.ok && withSince.payload.since).toBe(0);
    for (const conflate of [50, 250, 5000]) {
      const conflated = validatePayload(SubscribePayload, { channel: 'catalog', since: 3, conflate });
      expect(conflated.ok && conflated.payload.conflate).toBe(conflate);
    }
  });

  it.each([
    ['a string', 'catalog'],
    ['a number', 42],
    ['null', null],
    ['an array', []],
    ['no channel', {}],
    ['a non-string channel', { channel: 7 }],
    ['a negative since', { channel: 'catalog', since: -1 }],
    ['a fractional since', { channel: 'catalog', since: 1.5 }],
    ['a string since', { channel: 'catalog', since: '5' }],
    ['a null since', { channel: 'catalog', since: null }],
    ['an unsafe since', { channel: 'catalog', since: 2 ** 60 }],
    ['a conflate below 50 ms', { channel: 'catalog', conflate: 49 }],
    ['a conflate above 5000 ms', { channel: 'catalog', conflate: 5001 }],
    ['a fractional conflate', { channel: 'catalog', conflate: 100.5 }],
    ['a string conflate', { channel: 'catalog', conflate: '100' }],
    ['a null conflate', { channel: 'catalog', conflate: null }],
    ['an unknown field', { channel: 'catalog', x: 1 }],
  ])('refuses subscribe with %s', (_what, body) => {
    expect(validatePayload(SubscribePayload, body)).toEqual(invalid);
  });

  it('refuses a deeply nested or huge payload before the schema recurses into it', () => {
    let deep: unknown = 'catalog';
    for (let i = 0; i < 5000; i += 1) deep = [deep];
    expect(validatePayload(SubscribePayload, { channel: deep })).toEqual({
      ok: false,
      message: expect.stringMatching(/^payload nested deeper than/),
    });
    const huge = { method: 'POST', path: '/api/v1/orders', body: { items: new Array(10_000).fill(0) } };
    expect(validatePayload(RpcPayload, huge)).toEqual({
      ok: false,
      message: expect.stringMatching(/^payload more than/),
    });
  });

  it('names the field at fault', () => {
    expect(validatePayload(SubscribePayload, { channel: 'catalog', x: 1 })).toEqual({
      ok: false,
      message: expect.stringContaining('x'),
    });
    expect(validatePayload(SubscribePayload, 'x')).toEqual({ ok: false, message: 'payload must be an object' });
  });

  it('checks unsubscribe { channel } and auth { token }', () => {
    expect(validatePayload(UnsubscribePayload, { channel: 'catalog' }).ok).toBe(true);
    expect(validatePayload(UnsubscribePayload, { channel: 'catalog', since: 1 })).toEqual(invalid);
    expect(validatePayload(AuthPayload, { token: 'abc' }).ok).toBe(true);
    expect(validatePayload(AuthPayload, { token: 7 })).toEqual(invalid);
    expect(validatePayload(AuthPayload, {})).toEqual(invalid);
  });

  it('accepts rpc in any method case and upper-cases it', () => {
    const result = validatePayload(RpcPayload, {
      method: 'post',
      path: '/api/v1/orders',
      body: { items: [] },
      headers: { 'Idempotency-Key': 'k' },
    });
    expect(result).toEqual({
      ok: true,
      payload: expect.objectContaining({ method: 'POST', body: { items: [] }, headers: { 'Idempotency-Key': 'k' } }),
    });
  });

  it.each([
    ['a string', 'GET /'],
    ['an unknown method', { method: 'TRACE', path: '/api/v1/products' }],
    ['no path', { method: 'GET' }],
    ['an empty path', { method: 'GET', path: '' }],
    ['a huge path', { method: 'GET', path: `/${'a'.repeat(3000)}` }],
    ['headers that are not an object', { method: 'GET', path: '/api/v1/products', headers: 'x' }],
    ['a non-string header', { method: 'GET', path: '/api/v1/products', headers: { a: 1 } }],
    ['a header with a newline', { method: 'GET', path: '/api/v1/products', headers: { a: 'b\r\nc: d' } }],
    ['an unknown field', { method: 'GET', path: '/api/v1/products', query: 'x' }],
  ])('refuses rpc with %s', (_what, body) => {
    expect(validatePayload(RpcPayload, body)).toEqual(invalid);
  });
});

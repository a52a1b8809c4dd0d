import { TandemApiError } from './errors.js';
import { HttpClient, parseProblem, toRead } from './http.js';

const PROBLEM = {
  type: 'https://tandem.dev/problems/insufficient-stock',
  title: 'Conflict',
  status: 409,
  detail: 'Only 2 left',
  instance: '/api/v1/orders',
};

function headers(values: Record<string, string> = {}): Headers {
  return new Headers(values);
}

function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('toRead (REST answer → result or error)', () => {
  it('returns data, the stream offset and the ETag of a 2xx', () => {
    const read = toRead<{ id: string }>(200, headers({ 'X-Stream-Offset': '42', ETag: '"3"' }), '{"id":"p1"}');
    expect(read).toEqual({ status: 200, data: { id: 'p1' }, offset: 42, etag: '"3"' });
  });

  it('reads offset 0 and no ETag when the headers are absent, and empty bodies as undefined', () => {
    expect(toRead(204, headers(), '')).toEqual({ status: 204, data: undefined, offset: 0, etag: undefined });
    expect(toRead(304, headers({ ETag: '"3"' }), '')).toMatchObject({ status: 304, etag: '"3"' });
  });

  it('throws TandemApiError with the problem and its slug', () => {
    const error = thrown(() => toRead(409, headers({ 'Retry-After': '1' }), JSON.stringify(PROBLEM)));
    expect(error).toBeInstanceOf(TandemApiError);
    expect(error).toMatchObject({
      status: 409,
      type: 'insufficient-stock',
      problem: PROBLEM,
      message: '409 Conflict: Only 2 left',
    });
    expect((error as TandemApiError).headers.get('Retry-After')).toBe('1');
  });

  it('throws TandemApiError without a problem for an HTML error page or an empty body', () => {
    const html = thrown(() => toRead(502, headers(), '<html><body>Bad Gateway</body></html>'));
    expect(html).toMatchObject({ status: 502, problem: undefined, type: undefined, message: 'HTTP 502' });
    expect(thrown(() => toRead(500, headers(), ''))).toMatchObject({ status: 500, problem: undefined });
  });

  it('treats a 2xx whose body is not JSON as an error, not as data', () => {
    expect(thrown(() => toRead(200, headers(), 'OK'))).toMatchObject({
      status: 200,
      message: 'HTTP 200: the body is not JSON',
    });
  });

  it('leaves the slug undefined for a problem type that is not ours', () => {
    const foreign = { ...PROBLEM, type: 'https://example.com/problems/insufficient-stock' };
    expect(thrown(() => toRead(409, headers(), JSON.stringify(foreign)))).toMatchObject({ type: undefined });
  });
});

describe('parseProblem', () => {
  it.each([
    ['JSON that is not an object', '"oops"'],
    ['an object missing detail', JSON.stringify({ type: 'x', title: 'y', status: 400 })],
    ['a status that is a string', JSON.stringify({ ...PROBLEM, status: '409' })],
    ['not JSON', '{'],
    ['null', 'null'],
  ])('refuses %s', (_what, text) => {
    expect(parseProblem(text)).toBeUndefined();
  });
});

describe('HttpClient', () => {
  function recorder(answers: Response[]) {
    const calls: { url: string; init?: RequestInit }[] = [];
    const fetchImpl = async (url: string, init?: RequestInit) => {
      calls.push({ url, init });
      return answers.shift()!;
    };
    return { calls, fetchImpl };
  }

  it('builds the URL under the API prefix, skipping undefined query values', async () => {
    const { calls, fetchImpl } = recorder([new Response('{"items":[]}', { status: 200 })]);
    const http = new HttpClient(
      'http://shop',
      fetchImpl,
      async () => null,
      async () => undefined,
    );
    await http.request('GET', '/products', { query: { limit: 5, q: undefined, cursor: 'a b' } });
    expect(calls[0]!.url).toBe('http://shop/api/v1/products?limit=5&cursor=a+b');
    expect(calls[0]!.init?.headers).toEqual({ Accept: 'application/json' });
  });

  it('sends JSON bodies with the Bearer token', async () => {
    const { calls, fetchImpl } = recorder([new Response('{}', { status: 201 })]);
    const http = new HttpClient(
      '',
      fetchImpl,
      async () => 'tok',
      async () => undefined,
    );
    await http.request('POST', '/orders', { body: { items: [] }, headers: { 'Idempotency-Key': 'k' } });
    expect(calls[0]!.init).toMatchObject({
      method: 'POST',
      body: '{"items":[]}',
      headers: {
        Accept: 'application/json',
        'Content-Type': 'application/json',
        Authorization: 'Bearer tok',
        'Idempotency-Key': 'k',
      },
    });
  });

  it('refreshes once after a 401 and retries with the new token', async () => {
    const { calls, fetchImpl } = recorder([
      new Response(JSON.stringify({ ...PROBLEM, type: 'https://tandem.dev/problems/unauthorized' }), { status: 401 }),
      new Response('{"id":"u1"}', { status: 200 }),
    ]);
    let token = 'old';
    let refreshes = 0;
    const http = new HttpClient(
      '',
      fetchImpl,
      async () => token,
      async () => {
        refreshes += 1;
        token = 'new';
      },
    );
    const read = await http.request<{ id: string }>('GET', '/auth/me');
    expect(read.data).toEqual({ id: 'u1' });
    expect(refreshes).toBe(1);
    expect(calls.map((call) => (call.init?.headers as Record<string, string>)['Authorization'])).toEqual([
      'Bearer old',
      'Bearer new',
    ]);
  });

  it('does not retry a 401 of an unauthenticated call (a wrong password)', async () => {
    const { calls, fetchImpl } = recorder([new Response('', { status: 401 })]);
    let refreshes = 0;
    const http = new HttpClient(
      '',
      fetchImpl,
      async () => 'tok',
      async () => (refreshes += 1),
    );
    await expect(http.request('POST', '/auth/login', { body: {}, auth: false })).rejects.toMatchObject({ status: 401 });
    expect(calls).toHaveLength(1);
    expect(refreshes).toBe(0);
  });
});

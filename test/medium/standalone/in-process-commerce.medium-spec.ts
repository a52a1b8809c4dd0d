import { Body, Controller, Get, Headers, HttpCode, Module, Param, Post, Res } from '@nestjs/common';
import type { RequestListener } from 'node:http';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Response } from 'express';
import { BaseConfig, configureHttpApp, loadConfig, Problems } from '@tandem/platform';
import { InProcessCommerce } from '../../../apps/standalone/src/in-process-commerce.js';

const hits: string[] = [];

@Controller('api/v1/orders')
class FakeOrdersController {
  @Get(':id')
  get(@Param('id') id: string, @Headers('authorization') authorization: string | undefined) {
    hits.push(`GET order ${id}`);
    if (authorization !== 'Bearer good') throw Problems.unauthorized();
    if (id !== 'mine') throw Problems.notFound('Order not found');
    return { id };
  }

  @Post()
  @HttpCode(201)
  place(
    @Body() body: unknown,
    @Headers() headers: Record<string, string>,
    @Res({ passthrough: true }) res: Response,
  ): unknown {
    hits.push('POST orders');
    res.setHeader('Location', '/api/v1/orders/1');
    res.setHeader('ETag', '"1"');
    res.setHeader('X-Stream-Offset', '42');
    res.setHeader('X-Internal', 'not for clients');
    return { body, headers };
  }
}

@Controller('api/v1/products')
class FakeProductsController {
  @Get('text')
  text(@Res({ passthrough: true }) res: Response): string {
    res.type('text/plain');
    return 'plain words';
  }

  @Get('empty')
  @HttpCode(204)
  empty(): void {}
}

@Controller('api/v1/auth')
class FakeAuthController {
  @Get('me')
  me() {
    hits.push('GET auth/me');
    return { secret: true };
  }
}

@Module({ controllers: [FakeOrdersController, FakeProductsController, FakeAuthController] })
class FakeCommerceModule {}

describe('InProcessCommerce (rpc and order lookups dispatched into this process, no socket)', () => {
  let app: NestExpressApplication;
  let commerce: InProcessCommerce;

  beforeAll(async () => {
    app = await NestFactory.create<NestExpressApplication>(FakeCommerceModule, { logger: false, bodyParser: false });
    configureHttpApp(app, loadConfig('test', BaseConfig, { NODE_ENV: 'test' }));
    await app.init();
    commerce = new InProcessCommerce(() => app.getHttpAdapter().getInstance() as RequestListener);
  });

  afterAll(() => app.close());
  beforeEach(() => hits.splice(0));

  it('never opens a port', () => {
    expect(app.getHttpServer().listening).toBe(false);
  });

  it('orderStatus is the status commerce answers for the token', async () => {
    expect(await commerce.orderStatus('mine', 'good')).toBe(200);
    expect(await commerce.orderStatus('theirs', 'good')).toBe(404);
    expect(await commerce.orderStatus('mine', 'forged')).toBe(401);
  });

  it('orderStatus without a token is 404 without asking commerce', async () => {
    expect(await commerce.orderStatus('mine', undefined)).toBe(404);
    expect(hits).toEqual([]);
  });

  // The rpc policy (paths, which headers pass, body size) is the gateway's and is tested with it
  // (apps/realtime/src/transports/socket/rpc-policy.spec.ts); the port carries what it is given.
  it('call forwards method, path, JSON body and the headers it is given; Authorization is always the token', async () => {
    const answer = await commerce.call(
      {
        method: 'POST',
        path: '/api/v1/orders',
        body: { items: [{ productId: 'p', quantity: 2 }] },
        headers: { 'idempotency-key': 'k-1', authorization: 'Bearer someone-else' },
      },
      'good',
    );
    expect(answer.status).toBe(201);
    const echoed = answer.body as { body: unknown; headers: Record<string, string> };
    expect(echoed.body).toEqual({ items: [{ productId: 'p', quantity: 2 }] });
    expect(echoed.headers['idempotency-key']).toBe('k-1');
    expect(echoed.headers['authorization']).toBe('Bearer good');
    expect(echoed.headers['content-type']).toBe('application/json');
    expect(answer.headers).toEqual({
      'content-type': expect.stringContaining('application/json'),
      etag: '"1"',
      location: '/api/v1/orders/1',
      'x-stream-offset': '42',
    });
  });

  it('returns problem+json errors as values, with their status', async () => {
    const answer = await commerce.call({ method: 'GET', path: '/api/v1/orders/mine', headers: {} }, undefined);
    expect(answer.status).toBe(401);
    expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(answer.body).toEqual(
      expect.objectContaining({ status: 401, type: expect.stringContaining('unauthorized') }),
    );
  });

  it('returns a text body as text and no body as null', async () => {
    expect((await commerce.call({ method: 'GET', path: '/api/v1/products/text' }, 'good')).body).toBe('plain words');
    const empty = await commerce.call({ method: 'GET', path: '/api/v1/products/empty' }, 'good');
    expect(empty).toEqual({ status: 204, headers: {}, body: null });
  });

  it('answers 502 when there is no app to dispatch into yet', async () => {
    const early = new InProcessCommerce(() => {
      throw new Error('the Nest app is not created yet');
    });
    expect(await early.call({ method: 'GET', path: '/api/v1/products' }, 'good')).toEqual({
      status: 502,
      headers: {},
      body: null,
    });
  });
});

import { BadRequestException, HttpException, NotFoundException, PayloadTooLargeException } from '@nestjs/common';
import { JsonShapeError } from './json-limits.js';
import { Problems, ProblemException, toProblem } from './problem.js';

const BASE = 'https://tandem.dev/problems/';

describe('toProblem', () => {
  it('keeps a ProblemException slug, detail, field errors, retryAfter and headers', () => {
    const problem = toProblem(Problems.tooManyRequests(7), '/api/v1/auth/login');
    expect(problem).toEqual({
      type: `${BASE}rate-limited`,
      title: 'Too Many Requests',
      status: 429,
      detail: 'Too many requests; try again later',
      instance: '/api/v1/auth/login',
      retryAfter: 7,
      headers: { 'Retry-After': '7' },
    });
    const invalid = toProblem(Problems.badRequest('Invalid body', [{ field: 'email', message: 'bad' }]), '/x');
    expect(invalid).toMatchObject({
      type: `${BASE}validation-failed`,
      status: 400,
      errors: [{ field: 'email', message: 'bad' }],
    });
  });

  it('names a domain conflict by its slug', () => {
    const problem = toProblem(new ProblemException(409, 'insufficient-stock', 'Only 2 left'), '/api/v1/orders');
    expect(problem).toMatchObject({ type: `${BASE}insufficient-stock`, status: 409, title: 'Conflict' });
  });

  it.each([
    ['NotFoundException', new NotFoundException('Cannot GET /nowhere'), 'not-found'],
    ['BadRequestException', new BadRequestException('Validation failed (uuid is expected)'), 'bad-request'],
    ['PayloadTooLargeException', new PayloadTooLargeException(), 'payload-too-large'],
    ['an unmapped 4xx', new HttpException('teapot', 418), 'bad-request'],
    ['502', new HttpException('bad gateway', 502), 'bad-gateway'],
    ['an unmapped 5xx', new HttpException('odd', 599), 'internal-server-error'],
  ])('gives %s the slug of its status', (_what, exception, slug) => {
    expect(toProblem(exception, '/x')).toMatchObject({ type: `${BASE}${slug}`, status: exception.getStatus() });
  });

  it('answers malformed JSON as 400 malformed-body, naming a forbidden key', () => {
    const syntax = Object.assign(new SyntaxError('Unexpected token'), { status: 400, type: 'entity.parse.failed' });
    expect(toProblem(syntax, '/x')).toMatchObject({
      type: `${BASE}malformed-body`,
      status: 400,
      detail: 'The body is not valid JSON',
    });
    const proto = Object.assign(new Error('forbidden key "__proto__"'), { status: 400, type: 'entity.parse.failed' });
    expect(toProblem(proto, '/x')).toMatchObject({
      type: `${BASE}malformed-body`,
      errors: [{ field: '__proto__', message: 'is not allowed' }],
    });
  });

  it('names a body refused for its shape (too deep, too many values) a malformed body', () => {
    expect(toProblem(new JsonShapeError('nested deeper than 16 levels'), '/x')).toMatchObject({
      type: `${BASE}malformed-body`,
      status: 400,
      detail: 'The body is too complex: nested deeper than 16 levels',
    });
  });

  it('maps the other body-parser failures by status', () => {
    const tooLarge = Object.assign(new Error('too large'), { status: 413, type: 'entity.too.large' });
    expect(toProblem(tooLarge, '/x')).toMatchObject({
      type: `${BASE}payload-too-large`,
      status: 413,
      detail: 'The body is larger than this endpoint accepts',
    });
    const charset = Object.assign(new Error('unsupported charset'), { statusCode: 415, type: 'charset.unsupported' });
    expect(toProblem(charset, '/x')).toMatchObject({ type: `${BASE}unsupported-media-type`, status: 415 });
  });

  it('never leaks an unexpected error: 500 internal with a generic detail', () => {
    const problem = toProblem(new TypeError('cannot read x of undefined at secret.ts:12'), '/x');
    expect(problem).toEqual({
      type: `${BASE}internal`,
      title: 'Internal Server Error',
      status: 500,
      detail: 'Something went wrong on our side; it has been logged',
      instance: '/x',
    });
    expect(toProblem(null, '/x').type).toBe(`${BASE}internal`);
  });
});

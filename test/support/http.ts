import request from 'supertest';
import type { Response } from 'supertest';

/** Asserts an RFC 9457 answer and returns its body. */
export function expectProblem(
  res: Response,
  status: number,
): Record<string, unknown> & { errors?: { field: string; message: string }[] } {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toEqual(
    expect.objectContaining({
      type: expect.any(String),
      title: expect.any(String),
      status,
      detail: expect.any(String),
      instance: expect.any(String),
    }),
  );
  expect(JSON.stringify(res.body)).not.toMatch(/\bat .+\.(ts|js):\d+/); // no stack traces
  return res.body;
}

export function fields(body: { errors?: { field: string }[] }): string[] {
  return (body.errors ?? []).map((error) => error.field);
}

let counter = 0;
export function uniqueEmail(tag = 'user'): string {
  counter += 1;
  return `${tag}-${process.pid}-${Date.now()}-${counter}@example.test`;
}

export interface TestSession {
  user: { id: string; email: string; name: string; roles: string[] };
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

export async function register(
  authUrl: string,
  email = uniqueEmail(),
  password = 'password-1234',
): Promise<TestSession> {
  const res = await request(authUrl).post('/api/v1/auth/register').send({ email, password, name: 'Test User' });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as TestSession;
}

export async function login(authUrl: string, email: string, password: string): Promise<TestSession> {
  const res = await request(authUrl).post('/api/v1/auth/login').send({ email, password });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as TestSession;
}

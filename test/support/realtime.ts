import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { CryptoKey, JWK } from 'jose';
import amqplib from 'amqplib';
import { io } from 'socket.io-client';
import type { ManagerOptions, Socket, SocketOptions } from 'socket.io-client';
import type { Channel, EventEnvelope, EventType } from '@tandem/contracts';
import { RabbitMqBroker } from '@tandem/messaging';
import { RealtimeAppModule, RealtimeConfig, useRealtimeAdapter } from '../../apps/realtime/src/index.js';
import { startApp } from './apps.js';
import type { RunningApp } from './apps.js';

export const BROKER_URL = process.env['TEST_BROKER_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
export const REDIS_URL = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns true (or throws after `timeoutMs`). */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition') {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** A real ES256 issuer with a JWKS endpoint, minting access tokens shaped like auth's. */
export class TestIssuer {
  url = '';
  private key!: { privateKey: CryptoKey; jwk: JWK };
  private server = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [this.key.jwk] }));
  });

  /** An issuer serving its JWKS over HTTP at `url`. */
  static async start(): Promise<TestIssuer> {
    const issuer = await TestIssuer.local();
    await new Promise<void>((resolve) => issuer.server.listen(0, '127.0.0.1', resolve));
    issuer.url = `http://127.0.0.1:${(issuer.server.address() as AddressInfo).port}/jwks`;
    return issuer;
  }

  /** An issuer without a server: verify its tokens with `AccessTokenVerifier.local(issuer.jwks, …)`. */
  static async local(): Promise<TestIssuer> {
    const issuer = new TestIssuer();
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = await exportJWK(publicKey);
    issuer.key = { privateKey, jwk: { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: 'ES256', use: 'sig' } };
    return issuer;
  }

  get jwks(): { keys: JWK[] } {
    return { keys: [this.key.jwk] };
  }

  token(
    options: { sub?: string; sid?: string; roles?: string[]; ttlSeconds?: number; issuer?: string } = {},
  ): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ sid: options.sid ?? randomUUID(), roles: options.roles ?? ['customer'] })
      .setProtectedHeader({ alg: 'ES256', kid: this.key.jwk.kid!, typ: 'at+jwt' })
      .setSubject(options.sub ?? randomUUID())
      .setIssuer(options.issuer ?? 'tandem-auth')
      .setAudience('tandem')
      .setIssuedAt(now)
      .setExpirationTime(now + (options.ttlSeconds ?? 300))
      .setJti(randomUUID())
      .sign(this.key.privateKey);
  }

  close(): Promise<void> {
    if (!this.server.listening) return Promise.resolve();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** Names unique to one test run, so parallel runs share no queue, key or channel. */
export function isolation(): { REALTIME_QUEUE: string; REALTIME_REDIS_PREFIX: string } {
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  return { REALTIME_QUEUE: `test.realtime.${tag}`, REALTIME_REDIS_PREFIX: `test:rt:${tag}:` };
}

export type RealtimeFixture = RunningApp<RealtimeConfig>;

/** Boots the gateway exactly like main.ts (adapter included) and waits until it consumes. */
export async function startRealtime(env: Record<string, string | undefined>): Promise<RealtimeFixture> {
  const running = await startApp(
    'realtime',
    RealtimeConfig,
    RealtimeAppModule.forRoot,
    { BROKER_URL, SHUTDOWN_DRAIN_MS: '200', ...env },
    (app) => useRealtimeAdapter(app),
  );
  await waitFor(async () => (await fetch(`${running.url}/health/ready`)).status === 200, 10_000, 'realtime ready');
  return running;
}

/** Offsets increasing across the run, above anything an earlier run used. */
let nextOffset = Date.now() * 100;
export function offset(): number {
  nextOffset += 1;
  return nextOffset;
}

export function envelope<T extends EventType>(
  type: T,
  channels: Channel[],
  data: Record<string, unknown>,
  at = offset(),
): EventEnvelope {
  return { id: randomUUID(), type, channels, offset: at, occurredAt: new Date().toISOString(), data } as EventEnvelope;
}

export function publisher(): RabbitMqBroker {
  return new RabbitMqBroker(BROKER_URL, `test-publisher-${process.pid}`);
}

export type Client = Socket;

/** A socket.io-client connected over WebSocket; rejects with the connect_error message. */
export function connect(
  url: string,
  options: Partial<ManagerOptions & SocketOptions> & { token?: string } = {},
): Promise<Socket> {
  const { token, ...rest } = options;
  const socket = io(url, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    auth: token ? { token } : {},
    ...rest,
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
  });
}

/** Records every event envelope a socket receives. */
export function record(socket: Socket): EventEnvelope[] {
  const seen: EventEnvelope[] = [];
  socket.onAny((_event: string, payload: unknown) => {
    if (typeof payload === 'object' && payload !== null && 'offset' in payload) seen.push(payload as EventEnvelope);
  });
  return seen;
}

export function emitAck<T = unknown>(socket: Socket, event: string, payload?: unknown, timeoutMs = 3000): Promise<T> {
  return socket.timeout(timeoutMs).emitWithAck(event, payload) as Promise<T>;
}

/** Deletes a test run's gateway queue and its dead-letter queue. */
export async function deleteQueues(queue: string): Promise<void> {
  const connection = await amqplib.connect(BROKER_URL);
  const channel = await connection.createChannel();
  await channel.deleteQueue(queue);
  await channel.deleteQueue(`${queue}.dead`);
  await connection.close();
}

import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { ProblemException } from '@tandem/platform';
import { AuthConfig } from './auth.config.js';
import { SlotsExhaustedError, WorkSlots } from './work-slots.js';

const scryptAsync = promisify(scrypt) as (
  password: string,
  salt: Buffer,
  keylen: number,
  options: object,
) => Promise<Buffer>;

/** scrypt parameters (N=2^15, r=8, p=1: ~32 MiB, tens of ms); stored with the hash so they can grow. */
const N = 32768;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;
const MAX_MEM = 64 * 1024 * 1024;

/** Hashing is saturated: nothing was checked, so 503 and the client may retry after a second. */
export class HasherBusyError extends ProblemException {
  constructor() {
    super(503, 'unavailable', 'The server is busy; retry in a second', {
      headers: { 'Retry-After': '1' },
      retryAfter: 1,
    });
  }
}

/**
 * scrypt from node:crypto (no native addon, no install script). Runs on libuv's thread pool, so
 * hashing does not block the event loop; at most PASSWORD_HASH_CONCURRENCY run at once and
 * PASSWORD_HASH_QUEUE wait, the rest are refused at once (a flood of logins with unknown emails from
 * many IPs cannot queue unbounded scrypt work: docs/security.md).
 */
@Injectable()
export class PasswordHasher {
  private readonly slots: WorkSlots;
  /** A hash of a random password, verified against when the email is unknown: same cost, same answer. */
  private readonly decoy: Promise<string>;

  constructor(
    @Optional() @Inject(AuthConfig) config?: Pick<AuthConfig, 'PASSWORD_HASH_CONCURRENCY' | 'PASSWORD_HASH_QUEUE'>,
  ) {
    this.slots = new WorkSlots(config?.PASSWORD_HASH_CONCURRENCY ?? 2, config?.PASSWORD_HASH_QUEUE ?? 64);
    // Made once at start, outside the slots: a flood must never leave the decoy unmade.
    this.decoy = this.encode(randomBytes(16).toString('hex'), (password, salt) =>
      scryptAsync(password, salt, KEY_LENGTH, { N, r: R, p: P, maxmem: MAX_MEM }),
    );
  }

  hash(password: string): Promise<string> {
    return this.encode(password, (secret, salt) => this.scrypt(secret, salt, KEY_LENGTH, { N, r: R, p: P }));
  }

  async verify(password: string, stored: string): Promise<boolean> {
    const [scheme, n, r, p, salt, key] = stored.split('$');
    if (scheme !== 'scrypt' || !n || !r || !p || !salt || !key) return false;
    const expected = Buffer.from(key, 'base64url');
    // An empty key (a damaged row) would compare equal to an empty derivation.
    if (expected.length < KEY_LENGTH) return false;
    const actual = await this.scrypt(password, Buffer.from(salt, 'base64url'), expected.length, {
      N: Number(n),
      r: Number(r),
      p: Number(p),
    });
    return timingSafeEqual(actual, expected);
  }

  /** Spends the same time as a real verification, for unknown accounts. */
  async verifyDecoy(password: string): Promise<false> {
    await this.verify(password, await this.decoy);
    return false;
  }

  /** Throws HasherBusyError when every slot and the queue are taken. */
  private async scrypt(password: string, salt: Buffer, length: number, cost: { N: number; r: number; p: number }) {
    try {
      return await this.slots.run(() => scryptAsync(password, salt, length, { ...cost, maxmem: MAX_MEM }));
    } catch (error) {
      if (error instanceof SlotsExhaustedError) throw new HasherBusyError();
      throw error;
    }
  }

  private async encode(password: string, derive: (password: string, salt: Buffer) => Promise<Buffer>) {
    const salt = randomBytes(16);
    const key = await derive(password, salt);
    return `scrypt$${N}$${R}$${P}$${salt.toString('base64url')}$${key.toString('base64url')}`;
  }
}

import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, IsNull } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { channels } from '@tandem/contracts';
import type { Role, Session, User } from '@tandem/contracts';
import type { LoginDto, RegisterDto } from '@tandem/contracts/server';
import { appendToOutbox } from '@tandem/messaging';
import { Problems } from '@tandem/platform';
import { LoginLimiter } from './login-limiter.js';
import { PasswordHasher } from './password-hasher.js';
import { RefreshTokenRecord } from './refresh-token.entity.js';
import { hashRefreshToken, TokenIssuer } from './tokens.js';
import { toUser, UserRecord } from './user.entity.js';

const INVALID_CREDENTIALS = 'The email or password is not correct';
const INVALID_REFRESH = 'The refresh token is not valid';

function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** An account that start-up code (ADMIN_EMAIL, standalone's demo data) makes sure exists. */
export interface AccountSpec {
  email: string;
  password: string;
  name: string;
  roles: Role[];
}

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string })?.code === '23505';
}

@Injectable()
export class AuthService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly hasher: PasswordHasher,
    private readonly tokens: TokenIssuer,
    private readonly limiter: LoginLimiter,
  ) {}

  async register(dto: RegisterDto, ip: string): Promise<Session> {
    await this.limiter.consumeRequest(ip);
    const passwordHash = await this.hasher.hash(dto.password);
    try {
      return await this.dataSource.transaction(async (manager) => {
        const user = await manager.save(
          manager.create(UserRecord, {
            email: normalizeEmail(dto.email),
            name: dto.name?.trim() ?? '',
            passwordHash,
            roles: ['customer'] as Role[],
          }),
        );
        return this.openSession(manager, user);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw Problems.conflict('email-taken', 'An account with this email already exists');
      throw error;
    }
  }

  /**
   * Creates the account unless one with this email exists (idempotent, safe from concurrent
   * starts). Returns true when this call created it; an existing account, its password and roles
   * are left untouched.
   */
  async ensureAccount(account: AccountSpec): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `INSERT INTO users (email, name, password_hash, roles) VALUES ($1, $2, $3, $4)
       ON CONFLICT (email) DO NOTHING RETURNING id`,
      [normalizeEmail(account.email), account.name, await this.hasher.hash(account.password), account.roles],
    );
    return rows.length > 0;
  }

  /** Unknown email and wrong password take the same time and give the same answer. */
  async login(dto: LoginDto, ip: string): Promise<Session> {
    const email = normalizeEmail(dto.email);
    await this.limiter.assertLoginAllowed(email, ip);
    const user = await this.dataSource.getRepository(UserRecord).findOneBy({ email });
    const valid = user
      ? await this.hasher.verify(dto.password, user.passwordHash)
      : await this.hasher.verifyDecoy(dto.password);
    if (!user || !valid) {
      await this.limiter.recordFailure(email, ip);
      throw Problems.unauthorized(INVALID_CREDENTIALS);
    }
    await this.limiter.recordSuccess(email);
    return this.dataSource.transaction((manager) => this.openSession(manager, user));
  }

  /**
   * Rotation: the presented token is spent atomically (a conditional UPDATE, so two concurrent
   * refreshes with one token cannot both win) and a new one joins the family. A token that was
   * already spent means it leaked: the whole family is revoked.
   */
  async refresh(refreshToken: string, ip: string): Promise<Session> {
    await this.limiter.consumeRequest(ip);
    const hash = hashRefreshToken(refreshToken);
    const outcome = await this.dataSource.transaction(async (manager) => {
      const spent: RefreshTokenRecord[] = await manager
        .query(
          `UPDATE refresh_tokens SET used_at = now()
          WHERE token_hash = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > now()
          RETURNING id, family_id AS "familyId", user_id AS "userId"`,
          [hash],
        )
        .then(([rows]: [RefreshTokenRecord[]]) => rows);
      const current = spent[0];
      if (current) {
        const user = await manager.findOneByOrFail(UserRecord, { id: current.userId });
        return { session: await this.openSession(manager, user, current.familyId) };
      }
      const known = await manager.findOneBy(RefreshTokenRecord, { tokenHash: hash });
      if (known && known.usedAt && !known.revokedAt) await this.revokeFamily(manager, known.familyId, known.userId);
      return { session: null };
    });
    if (!outcome.session) throw Problems.unauthorized(INVALID_REFRESH);
    return outcome.session;
  }

  /** Idempotent: an unknown or already revoked token is still a 204. */
  async logout(refreshToken: string): Promise<void> {
    const hash = hashRefreshToken(refreshToken);
    await this.dataSource.transaction(async (manager) => {
      const known = await manager.findOneBy(RefreshTokenRecord, { tokenHash: hash });
      if (known && !known.revokedAt) await this.revokeFamily(manager, known.familyId, known.userId);
    });
  }

  async me(userId: string): Promise<User> {
    const user = await this.dataSource.getRepository(UserRecord).findOneBy({ id: userId });
    if (!user) throw Problems.unauthorized('The account no longer exists');
    return toUser(user);
  }

  private async openSession(
    manager: EntityManager,
    user: UserRecord,
    familyId: string = randomUUID(),
  ): Promise<Session> {
    const refresh = this.tokens.refreshToken();
    await manager.insert(RefreshTokenRecord, {
      familyId,
      userId: user.id,
      tokenHash: refresh.hash,
      expiresAt: refresh.expiresAt,
    });
    return {
      user: toUser(user),
      accessToken: await this.tokens.accessToken(user.id, familyId, user.roles),
      refreshToken: refresh.token,
      expiresIn: this.tokens.accessTokenTtl,
    };
  }

  /** Revokes every token of the session and tells the gateway to close the session's sockets. */
  private async revokeFamily(manager: EntityManager, familyId: string, userId: string): Promise<void> {
    await manager.update(RefreshTokenRecord, { familyId, revokedAt: IsNull() }, { revokedAt: new Date() });
    await appendToOutbox(manager, [
      { type: 'session.revoked', channels: [channels.user(userId)], data: { userId, sid: familyId } },
    ]);
  }
}

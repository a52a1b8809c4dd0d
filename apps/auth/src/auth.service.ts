import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { channels } from '@tandem/contracts';
import type { Role, Session, User } from '@tandem/contracts';
import type { LoginDto, RegisterDto } from '@tandem/contracts/server';
import { appendToOutbox } from '@tandem/messaging';
import { Problems } from '@tandem/platform';
import { SessionRevocations } from '@tandem/security';
import { AuthConfig } from './auth.config.js';
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

/** Seconds a denylist entry outlives the access-token lifetime: the verifiers' clock tolerance and then some. */
const DENYLIST_MARGIN_SECONDS = 60;

/** A refresh token's row as refresh reads it. */
interface TokenState {
  id: string;
  familyId: string;
  userId: string;
  used: boolean;
  live: boolean;
}

@Injectable()
export class AuthService {
  private readonly logger = new Logger('auth');

  constructor(
    private readonly dataSource: DataSource,
    private readonly hasher: PasswordHasher,
    private readonly tokens: TokenIssuer,
    private readonly limiter: LoginLimiter,
    private readonly revocations: SessionRevocations,
    @Inject(AuthConfig) private readonly config: AuthConfig,
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

  /**
   * Unknown email and wrong password take the same time and give the same answer. The attempt is
   * spent before the password is checked (LoginLimiter), so parallel guesses cannot outrun it.
   */
  async login(dto: LoginDto, ip: string): Promise<Session> {
    const email = normalizeEmail(dto.email);
    await this.limiter.consumeAttempt(email, ip);
    let user: UserRecord | null;
    let valid: boolean;
    try {
      user = await this.dataSource.getRepository(UserRecord).findOneBy({ email });
      valid = user
        ? await this.hasher.verify(dto.password, user.passwordHash)
        : await this.hasher.verifyDecoy(dto.password);
    } catch (error) {
      // Nothing was checked: the attempt is given back.
      await this.limiter.refund(email, ip).catch(() => undefined);
      throw error;
    }
    if (!user || !valid) throw Problems.unauthorized(INVALID_CREDENTIALS);
    await this.limiter.succeeded(email, ip);
    return this.dataSource.transaction((manager) => this.openSession(manager, user));
  }

  /**
   * Rotation (RFC 9700 §4.14): the presented token is spent and a new one joins the family. A
   * token that was already spent means it leaked: the whole family is revoked. Refresh and revoke
   * both lock the session row, so they run one after the other: a token minted by a refresh in
   * flight cannot survive the family's revocation, and a refresh waiting for a revocation sees it.
   * A session never outlives REFRESH_TOKEN_ABSOLUTE_TTL from its login.
   */
  async refresh(refreshToken: string, ip: string): Promise<Session> {
    await this.limiter.consumeRequest(ip);
    const hash = hashRefreshToken(refreshToken);
    const outcome = await this.dataSource.transaction(async (manager) => {
      const familyId = (await this.tokenState(manager, hash))?.familyId;
      if (!familyId) return { session: null };
      const open = await this.lockSession(manager, familyId);
      if (!open) return { session: null };
      // Read again under the lock: a refresh that held it before may have spent this token.
      const token = (await this.tokenState(manager, hash))!;
      if (token.used) {
        await this.revokeFamily(manager, familyId, token.userId);
        return { session: null, revoked: familyId };
      }
      if (!token.live || !open.withinLifetime) return { session: null };
      await manager.query(`UPDATE refresh_tokens SET used_at = now() WHERE id = $1`, [token.id]);
      const user = await manager.findOneByOrFail(UserRecord, { id: token.userId });
      return { session: await this.openSession(manager, user, { id: familyId, endsAt: open.endsAt }) };
    });
    if (outcome.revoked) await this.denylist(outcome.revoked).catch((error: Error) => this.denylistFailed(error));
    if (!outcome.session) throw Problems.unauthorized(INVALID_REFRESH);
    return outcome.session;
  }

  /**
   * Idempotent: an unknown or already revoked token is still a 204. The session is listed in the
   * denylist every time (a retried logout repairs a failed write); a write that fails is a 503.
   */
  async logout(refreshToken: string): Promise<void> {
    const hash = hashRefreshToken(refreshToken);
    const familyId = await this.dataSource.transaction(async (manager) => {
      const token = await this.tokenState(manager, hash);
      if (!token) return undefined;
      if (await this.lockSession(manager, token.familyId))
        await this.revokeFamily(manager, token.familyId, token.userId);
      return token.familyId;
    });
    if (!familyId) return;
    await this.denylist(familyId).catch((error: Error) => {
      this.denylistFailed(error);
      throw Problems.unavailable('The session is revoked but not yet everywhere; retry the logout');
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
    family?: { id: string; endsAt: Date },
  ): Promise<Session> {
    const session = family ?? (await this.startSession(manager, user.id));
    const refresh = this.tokens.refreshToken();
    await manager.insert(RefreshTokenRecord, {
      familyId: session.id,
      userId: user.id,
      tokenHash: refresh.hash,
      // A refresh token never reaches past the session's absolute end.
      expiresAt: refresh.expiresAt < session.endsAt ? refresh.expiresAt : session.endsAt,
    });
    return {
      user: toUser(user),
      accessToken: await this.tokens.accessToken(user.id, session.id, user.roles),
      refreshToken: refresh.token,
      expiresIn: this.tokens.accessTokenTtl,
    };
  }

  /** A new session row; its absolute end is counted from the database's clock, like lockSession's. */
  private async startSession(manager: EntityManager, userId: string): Promise<{ id: string; endsAt: Date }> {
    const id = randomUUID();
    const [row]: { endsAt: Date }[] = await manager.query(
      `INSERT INTO sessions (id, user_id) VALUES ($1, $2)
       RETURNING created_at + make_interval(secs => $3) AS "endsAt"`,
      [id, userId, this.config.REFRESH_TOKEN_ABSOLUTE_TTL],
    );
    return { id, endsAt: new Date(row!.endsAt) };
  }

  private async tokenState(manager: EntityManager, hash: Buffer): Promise<TokenState | undefined> {
    const rows: TokenState[] = await manager.query(
      `SELECT id, family_id AS "familyId", user_id AS "userId", used_at IS NOT NULL AS used,
              (revoked_at IS NULL AND expires_at > now()) AS live
       FROM refresh_tokens WHERE token_hash = $1`,
      [hash],
    );
    return rows[0];
  }

  /**
   * Locks the session row until the transaction ends (refresh and revoke both take it) and returns
   * it when it is not revoked; `withinLifetime` is false once REFRESH_TOKEN_ABSOLUTE_TTL has passed.
   */
  private async lockSession(
    manager: EntityManager,
    id: string,
  ): Promise<{ endsAt: Date; withinLifetime: boolean } | undefined> {
    const rows: { endsAt: Date; withinLifetime: boolean }[] = await manager.query(
      `SELECT created_at + make_interval(secs => $2) AS "endsAt",
              created_at + make_interval(secs => $2) > now() AS "withinLifetime"
       FROM sessions WHERE id = $1 AND revoked_at IS NULL FOR UPDATE`,
      [id, this.config.REFRESH_TOKEN_ABSOLUTE_TTL],
    );
    const row = rows[0];
    return row && { endsAt: new Date(row.endsAt), withinLifetime: row.withinLifetime };
  }

  /** Revokes the (locked) session and every token of it, and tells the gateway to close its sockets. */
  private async revokeFamily(manager: EntityManager, familyId: string, userId: string): Promise<void> {
    await manager.query(`UPDATE sessions SET revoked_at = now() WHERE id = $1`, [familyId]);
    await manager.query(`UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL`, [
      familyId,
    ]);
    await appendToOutbox(manager, [
      { type: 'session.revoked', channels: [channels.user(userId)], data: { userId, sid: familyId } },
    ]);
  }

  /** From now on the session's unexpired access tokens are refused everywhere (docs/contract.md "Auth"). */
  private denylist(sid: string): Promise<void> {
    return this.revocations.revoke(sid, this.config.ACCESS_TOKEN_TTL + DENYLIST_MARGIN_SECONDS);
  }

  private denylistFailed(error: Error): void {
    this.logger.error(`session denylist write failed: ${error.message}`);
  }
}

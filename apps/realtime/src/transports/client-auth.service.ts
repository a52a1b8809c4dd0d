import { Injectable, Logger, Optional } from '@nestjs/common';
import { SESSION_EXPIRED_EVENT } from '@tandem/contracts';
import type { ControlEnvelope } from '@tandem/contracts';
import {
  AccessTokenVerifier,
  authenticateToken,
  InvalidTokenError,
  MemorySessionRevocations,
  SessionRevocations,
  TokenCheckUnavailableError,
  tokenCheckUnavailable,
} from '@tandem/security';
import type { Principal } from '@tandem/security';
import { ClientRegistry } from '../delivery/client-registry.service.js';
import type { Subscriber } from '../delivery/subscriber.js';

/** Longest timer Node accepts; tokens live minutes, so this only guards against odd `exp` values. */
const MAX_TIMER_MS = 2_147_483_647;

type SignInOutcome = 'ok' | 'invalid' | 'other_user';

/**
 * The one authentication path of every client, socket or SSE (docs/contract.md, Realtime and
 * SSE): verify the access token and refuse a revoked session (the same check as the REST guard) →
 * principal → a timer that ends the client at the token's `exp` (`session.expired`, then close) →
 * `session.revoked` ends every client of that session.
 */
@Injectable()
export class ClientAuthService {
  private readonly logger = new Logger('realtime:auth');

  constructor(
    private readonly verifier: AccessTokenVerifier,
    private readonly registry: ClientRegistry,
    // RealtimeModule always provides it (SessionRevocationsModule); pure unit specs may omit it.
    @Optional() private readonly revocations: SessionRevocations = new MemorySessionRevocations(),
  ) {}

  /**
   * The token's principal, or undefined when it is not a valid access token or its session was
   * revoked. When the token cannot be checked right now (auth's JWKS or the denylist does not
   * answer) it throws a 503 problem: SSE answers 503 with Retry-After, a handshake fails with its
   * message (not "unauthorized", so clients retry instead of signing out), an `auth` swap gets an
   * error ack and keeps its token (docs/security.md, "Authentication, tokens and revocation").
   */
  async verify(token: string): Promise<Principal | undefined> {
    try {
      return await authenticateToken(this.verifier, this.revocations, token);
    } catch (error) {
      if (error instanceof TokenCheckUnavailableError) {
        this.logger.warn(`token check unavailable: ${error.message}`);
        throw Object.assign(tokenCheckUnavailable(error), {
          data: { code: 'unavailable', retryAfter: error.retryAfterSeconds },
        });
      }
      if (!(error instanceof InvalidTokenError)) this.logger.warn(`token check failed: ${(error as Error).message}`);
      return undefined;
    }
  }

  /**
   * Signs a client in with a verified token, or swaps in a fresh one: a client that has a user
   * keeps it (`other_user` otherwise). The expiry timer restarts from the new token's `exp`.
   */
  signIn(client: Subscriber, principal: Principal, token: string): SignInOutcome {
    if (client.principal && client.principal.id !== principal.id) return 'other_user';
    this.registry.identify(client, principal, token);
    clearTimeout(client.expiry);
    const ms = Math.min(Math.max(principal.exp * 1000 - Date.now(), 0), MAX_TIMER_MS);
    client.expiry = setTimeout(() => {
      client.notify(SESSION_EXPIRED_EVENT, { reason: 'the access token expired' });
      client.close();
    }, ms);
    client.expiry.unref();
    return 'ok';
  }

  /** Verifies `token` and signs the client in with it. */
  async authenticate(client: Subscriber, token: string): Promise<SignInOutcome> {
    const principal = await this.verify(token);
    return principal ? this.signIn(client, principal, token) : 'invalid';
  }

  /** session.revoked (from auth, on every replica): this replica's clients of the session are told and closed. */
  revoke(envelope: ControlEnvelope): void {
    for (const client of this.registry.ofSession(envelope.data.sid)) {
      client.notify(envelope.type, envelope);
      client.close();
    }
  }
}

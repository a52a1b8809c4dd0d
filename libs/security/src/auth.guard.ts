import {
  applyDecorators,
  CanActivate,
  createParamDecorator,
  ExecutionContext,
  Injectable,
  SetMetadata,
  UseGuards,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiBearerAuth } from '@nestjs/swagger';
import type { Request } from 'express';
import type { Role } from '@tandem/contracts';
import { ProblemException, Problems } from '@tandem/platform';
import { AccessTokenVerifier, InvalidTokenError, TokenCheckUnavailableError } from './token-verifier.js';
import { principalFrom } from './principal.js';
import type { Principal } from './principal.js';
import { SessionRevocations } from './session-revocations.js';

const ROLES_KEY = 'tandem:roles';

type AuthenticatedRequest = Request & { principal?: Principal };

export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/i.exec(header.trim());
  return match?.[1];
}

/** 503 with Retry-After: the token could not be checked, the client should retry, not log out. */
export function tokenCheckUnavailable(error: TokenCheckUnavailableError): ProblemException {
  const seconds = error.retryAfterSeconds;
  return new ProblemException(503, 'unavailable', 'The access token cannot be checked right now; retry shortly', {
    headers: { 'Retry-After': String(seconds) },
    retryAfter: seconds,
  });
}

/**
 * Verifies an access token and refuses one of a revoked session (docs/contract.md "Auth"): the
 * one check of the REST guard, also used by the gateway for handshakes, `auth` swaps and SSE.
 * Throws InvalidTokenError (401) or TokenCheckUnavailableError (503).
 */
export async function authenticateToken(
  verifier: AccessTokenVerifier,
  revocations: SessionRevocations,
  token: string,
): Promise<Principal> {
  const principal = principalFrom(await verifier.verify(token));
  if (await revocations.isRevoked(principal.sid)) throw new InvalidTokenError('the session has been revoked');
  return principal;
}

/**
 * Authenticates the bearer token and, when the route names roles, authorizes them. A missing or bad
 * token, or one of a revoked session, is 401; a valid token without the role is 403; a token that
 * cannot be checked right now (JWKS or denylist outage) is 503 with Retry-After.
 */
@Injectable()
export class AccessTokenGuard implements CanActivate {
  constructor(
    private readonly verifier: AccessTokenVerifier,
    private readonly revocations: SessionRevocations,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const token = bearerToken(req.headers.authorization);
    if (!token) throw Problems.unauthorized();
    try {
      req.principal = await authenticateToken(this.verifier, this.revocations, token);
    } catch (error) {
      if (error instanceof TokenCheckUnavailableError) throw tokenCheckUnavailable(error);
      if (error instanceof InvalidTokenError) {
        throw Problems.unauthorized(error.expired ? 'The access token has expired' : 'The access token is not valid');
      }
      throw error;
    }
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (roles?.length && !roles.some((role) => req.principal!.roles.includes(role))) {
      throw Problems.forbidden(`This requires the ${roles.join(' or ')} role`);
    }
    return true;
  }
}

/** `@Authenticated()` any signed-in user; `@Authenticated('admin')` only admins. */
export const Authenticated = (...roles: Role[]) =>
  applyDecorators(SetMetadata(ROLES_KEY, roles), UseGuards(AccessTokenGuard), ApiBearerAuth());

/** The verified caller of an `@Authenticated()` route. */
export const CurrentPrincipal = createParamDecorator(
  (_: unknown, context: ExecutionContext) => context.switchToHttp().getRequest<AuthenticatedRequest>().principal!,
);

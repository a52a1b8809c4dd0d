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
import { Problems } from '@tandem/platform';
import { AccessTokenVerifier, InvalidTokenError } from './token-verifier.js';
import { principalFrom } from './principal.js';
import type { Principal } from './principal.js';

const ROLES_KEY = 'tandem:roles';

type AuthenticatedRequest = Request & { principal?: Principal };

export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/i.exec(header.trim());
  return match?.[1];
}

/**
 * Authenticates the bearer token and, when the route names roles, authorizes them. A missing or bad
 * token is 401, a valid token without the role is 403.
 */
@Injectable()
export class AccessTokenGuard implements CanActivate {
  constructor(
    private readonly verifier: AccessTokenVerifier,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const token = bearerToken(req.headers.authorization);
    if (!token) throw Problems.unauthorized();
    try {
      req.principal = principalFrom(await this.verifier.verify(token));
    } catch (error) {
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

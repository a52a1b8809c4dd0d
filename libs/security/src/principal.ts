import type { AccessClaims, Role } from '@tandem/contracts';

/** Who is calling: the verified subject of an access token. */
export interface Principal {
  id: string;
  sid: string;
  roles: Role[];
  /** Expiry of the token that authenticated the call (seconds since epoch). */
  exp: number;
}

export function principalFrom(claims: AccessClaims): Principal {
  return { id: claims.sub, sid: claims.sid, roles: claims.roles, exp: claims.exp };
}

export function isAdmin(principal: Principal | undefined): boolean {
  return principal?.roles.includes('admin') ?? false;
}

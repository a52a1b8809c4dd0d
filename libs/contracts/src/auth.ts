/** Accounts, sessions and tokens (docs/contract.md, Auth). */
export type Role = 'customer' | 'admin';
export const ROLES: readonly Role[] = ['customer', 'admin'];

export interface User {
  id: string;
  email: string;
  name: string;
  roles: Role[];
}

export interface Session {
  user: User;
  accessToken: string;
  refreshToken: string;
  /** Seconds until the access token expires. */
  expiresIn: number;
}

/** Claims of a verified access token (docs/contract.md, Auth). */
export interface AccessClaims {
  sub: string;
  sid: string;
  roles: Role[];
  iss: string;
  aud: string | string[];
  exp: number;
  jti: string;
}

/** `POST /auth/register`. */
export interface RegisterRequest {
  email: string;
  password: string;
  name?: string;
}

/** `POST /auth/login`. */
export interface LoginRequest {
  email: string;
  password: string;
}

/** `POST /auth/refresh` and `POST /auth/logout`. */
export interface RefreshRequest {
  refreshToken: string;
}

import { IsEmail, IsNotEmpty, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';

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

/** Claims of a verified access token (contract: Auth). */
export interface AccessClaims {
  sub: string;
  sid: string;
  roles: Role[];
  iss: string;
  aud: string | string[];
  exp: number;
  jti: string;
}

export class RegisterDto {
  @IsEmail({}, { message: 'must be a valid email address' })
  @MaxLength(254)
  email!: string;

  /** 8..128 characters; the hash is computed over the whole string (no truncation). */
  @IsString()
  @MinLength(8)
  @MaxLength(128)
  password!: string;

  @IsOptional()
  @IsString()
  @MaxLength(100)
  name?: string;
}

export class LoginDto {
  @IsEmail({}, { message: 'must be a valid email address' })
  @MaxLength(254)
  email!: string;

  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  password!: string;
}

export class RefreshTokenDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  refreshToken!: string;
}

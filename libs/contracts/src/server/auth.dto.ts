import { IsEmail, IsNotEmpty, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import type { LoginRequest, RefreshRequest, RegisterRequest } from '../auth.js';

export class RegisterDto implements RegisterRequest {
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

export class LoginDto implements LoginRequest {
  @IsEmail({}, { message: 'must be a valid email address' })
  @MaxLength(254)
  email!: string;

  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  password!: string;
}

export class RefreshTokenDto implements RefreshRequest {
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  refreshToken!: string;
}

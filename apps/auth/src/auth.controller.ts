import { Body, Controller, Get, HttpCode, Ip, Post, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { JSONWebKeySet } from 'jose';
import { LoginDto, RefreshTokenDto, RegisterDto } from '@tandem/contracts/server';
import type { Session, User } from '@tandem/contracts';
import { Authenticated, CurrentPrincipal } from '@tandem/security';
import type { Principal } from '@tandem/security';
import { AuthConfig } from './auth.config.js';
import { AuthService } from './auth.service.js';
import { SigningKeys } from './signing-keys.js';

@ApiTags('auth')
@Controller('api/v1/auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly keys: SigningKeys,
    private readonly config: AuthConfig,
  ) {}

  @Post('register')
  register(@Body() dto: RegisterDto, @Ip() ip: string): Promise<Session> {
    return this.auth.register(dto, ip);
  }

  @Post('login')
  @HttpCode(200)
  login(@Body() dto: LoginDto, @Ip() ip: string): Promise<Session> {
    return this.auth.login(dto, ip);
  }

  @Post('refresh')
  @HttpCode(200)
  refresh(@Body() dto: RefreshTokenDto, @Ip() ip: string): Promise<Session> {
    return this.auth.refresh(dto.refreshToken, ip);
  }

  @Post('logout')
  @HttpCode(204)
  logout(@Body() dto: RefreshTokenDto): Promise<void> {
    return this.auth.logout(dto.refreshToken);
  }

  @Get('me')
  @Authenticated()
  me(@CurrentPrincipal() principal: Principal): Promise<User> {
    return this.auth.me(principal.id);
  }

  @Get('jwks')
  jwks(@Res({ passthrough: true }) res: Response): JSONWebKeySet {
    res.setHeader('Cache-Control', `public, max-age=${this.config.JWKS_MAX_AGE_SECONDS}`);
    return this.keys.jwks;
  }
}

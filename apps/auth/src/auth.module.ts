import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { AccessTokenVerifier, SessionRevocationsModule } from '@tandem/security';
import { OutboxModule, OutboxRecord } from '@tandem/messaging';
import { databaseAppInfrastructure, DatabaseProbe, HealthModule, RedisProbe } from '@tandem/platform';
import { AdminBootstrap } from './admin-bootstrap.js';
import { AuthConfig } from './auth.config.js';
import { AuthController } from './auth.controller.js';
import { AuthService } from './auth.service.js';
import { LoginLimiter } from './login-limiter.js';
import { authMigrations } from './migrations/index.js';
import { PasswordHasher } from './password-hasher.js';
import { RefreshTokenRecord } from './refresh-token.entity.js';
import { SigningKeys } from './signing-keys.js';
import { accessTokenSigning, TokenIssuer } from './tokens.js';
import { UserRecord } from './user.entity.js';

export const authEntities = [UserRecord, RefreshTokenRecord, OutboxRecord];
export { authMigrations };

/**
 * The auth feature: routes and services. Needs a global DataSource, REDIS and the config; the app
 * module below (or standalone) provides them.
 */
@Module({})
export class AuthModule {
  static register(config: AuthConfig): DynamicModule {
    // Loaded once, shared by the JWKS, the in-process verifier and JwtModule's signing options.
    let loading: Promise<SigningKeys> | undefined;
    const signingKeys = () => (loading ??= SigningKeys.load(config.JWT_PRIVATE_KEY, config.JWT_PUBLIC_KEY));
    return {
      module: AuthModule,
      imports: [
        JwtModule.registerAsync({ useFactory: async () => accessTokenSigning(await signingKeys(), config) }),
        // Auth writes the session denylist that every verifier reads (docs/contract.md "Auth").
        SessionRevocationsModule,
      ],
      controllers: [AuthController],
      providers: [
        { provide: AuthConfig, useValue: config },
        { provide: SigningKeys, useFactory: signingKeys },
        {
          // Auth verifies its own tokens in-process: no JWKS round trip.
          provide: AccessTokenVerifier,
          useFactory: (keys: SigningKeys) =>
            AccessTokenVerifier.local(keys.jwks, { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE }),
          inject: [SigningKeys],
        },
        PasswordHasher,
        TokenIssuer,
        LoginLimiter,
        AuthService,
        AdminBootstrap,
      ],
      exports: [AccessTokenVerifier, SigningKeys],
    };
  }
}

/** The auth app as deployed on its own: feature + database, Redis, outbox relay, logs, health, metrics. */
@Module({})
export class AuthAppModule {
  static forRoot(config: AuthConfig): DynamicModule {
    return {
      module: AuthAppModule,
      imports: [
        ...databaseAppInfrastructure('auth', config, { entities: authEntities, migrations: authMigrations }),
        OutboxModule.forRoot({ brokerUrl: config.BROKER_URL, name: 'auth' }),
        HealthModule.forRoot([DatabaseProbe, RedisProbe]),
        AuthModule.register(config),
      ],
    };
  }
}

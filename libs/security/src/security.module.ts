import { Global, Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { AccessTokenGuard } from './auth.guard.js';
import { SessionRevocationsModule } from './session-revocations.js';
import { AccessTokenVerifier } from './token-verifier.js';
import type { VerifierOptions } from './token-verifier.js';

export interface JwksSecurityOptions extends VerifierOptions {
  jwksUrl: string;
}

/**
 * Provides the AccessTokenVerifier (and the guard that uses it) to an app. Apps other than auth
 * verify against auth's JWKS; a process that holds the keys (standalone) passes its own verifier.
 * The guard also checks the session denylist (SessionRevocationsModule: needs REDIS).
 */
@Global()
@Module({})
export class SecurityModule {
  static forRoot(options: JwksSecurityOptions | AccessTokenVerifier): DynamicModule {
    const verifier =
      options instanceof AccessTokenVerifier
        ? { provide: AccessTokenVerifier, useValue: options }
        : { provide: AccessTokenVerifier, useFactory: () => AccessTokenVerifier.remote(options.jwksUrl, options) };
    return {
      module: SecurityModule,
      imports: [SessionRevocationsModule],
      providers: [verifier, AccessTokenGuard],
      exports: [AccessTokenVerifier, AccessTokenGuard],
    };
  }
}

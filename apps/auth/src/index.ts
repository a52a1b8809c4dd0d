/**
 * The auth app's public entry: what another app (standalone) may use. Nothing outside apps/auth
 * imports any other file of it (enforced by lint).
 */
export { AuthAppModule, AuthModule, authEntities, authMigrations } from './auth.module.js';
export { AuthConfig, AuthSettings, IsPem } from './auth.config.js';
export { SigningKeys } from './signing-keys.js';
export { AuthService } from './auth.service.js';
export type { AccountSpec } from './auth.service.js';

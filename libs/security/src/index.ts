export * from './token-verifier.js';
export type { KeySet, RemoteJwksOptions } from './key-sets.js';
export * from './principal.js';
export * from './auth.guard.js';
export * from './security.module.js';
export * from './session-revocations.js';

/**
 * `@tandem/contracts`: the types and constants of the public contract (docs/contract.md), shared
 * by the apps and the browser SDK. Nothing here imports server code; the class-validator DTOs of
 * the request bodies live in `@tandem/contracts/server`.
 */
export * from './auth.js';
export * from './catalog.js';
export * from './orders.js';
export * from './events.js';
export * from './channels.js';
export * from './problem.js';
export * from './realtime.dto.js';

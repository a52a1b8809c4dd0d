/**
 * `@tandem/contracts/server`: the request bodies as class-validator DTO classes, for the apps'
 * controllers only. Each `implements` the plain type of the root entry, which is what clients
 * (and the browser SDK) import; keeping them here keeps class-validator out of browser bundles.
 */
export * from './auth.dto.js';
export * from './catalog.dto.js';
export * from './orders.dto.js';

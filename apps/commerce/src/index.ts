/**
 * The commerce app's public entry: what another app (standalone) may use. Nothing outside
 * apps/commerce imports any other file of it (enforced by lint).
 */
export { CommerceAppModule, CommerceModule, commerceEntities, commerceMigrations } from './commerce.module.js';
export { CommerceConfig, CommerceSettings } from './commerce.config.js';
export { seedDemoCatalog } from './demo-catalog.js';

/**
 * The realtime gateway's public entry: what another app (standalone) may use. Nothing outside
 * apps/realtime imports any other file of it (enforced by lint).
 */
export { RealtimeAppModule, RealtimeBrokerProbe, RealtimeModule } from './realtime.module.js';
export { RealtimeConfig } from './realtime.config.js';
export { useRealtimeAdapter } from './realtime-io.adapter.js';

/**
 * The realtime gateway's public entry: what another app (standalone) may use. Nothing outside
 * apps/realtime imports any other file of it (enforced by lint).
 */
export { RealtimeAppModule, RealtimeModule } from './realtime.module.js';
export type { RealtimeDeps } from './realtime.module.js';
export { RealtimeBrokerProbe } from './ops/broker.probe.js';
export { RealtimeConfig, RealtimeSettings } from './realtime.config.js';
export { CommercePort, rpcResponse } from './commerce/commerce.port.js';
export { HttpCommercePort } from './commerce/http-commerce.port.js';
export { useRealtimeAdapter } from './transports/socket/realtime-io.adapter.js';

import 'reflect-metadata';
import { runApp } from '@tandem/platform';
import { RealtimeConfig } from './realtime.config.js';
import { useRealtimeAdapter } from './transports/socket/realtime-io.adapter.js';
import { RealtimeAppModule } from './realtime.module.js';

await runApp({
  name: 'realtime',
  defaultPort: 3003,
  config: RealtimeConfig,
  module: RealtimeAppModule.forRoot,
  beforeListen: (app) => useRealtimeAdapter(app),
});

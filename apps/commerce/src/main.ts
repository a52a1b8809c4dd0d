import 'reflect-metadata';
import { runApp } from '@tandem/platform';
import { CommerceConfig } from './commerce.config.js';
import { CommerceAppModule } from './commerce.module.js';

await runApp({
  name: 'commerce',
  defaultPort: 3002,
  config: CommerceConfig,
  module: (config) => CommerceAppModule.forRoot(config),
});

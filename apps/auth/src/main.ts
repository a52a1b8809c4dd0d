import 'reflect-metadata';
import { runApp } from '@tandem/platform';
import { AuthConfig } from './auth.config.js';
import { AuthAppModule } from './auth.module.js';

await runApp({ name: 'auth', defaultPort: 3001, config: AuthConfig, module: AuthAppModule.forRoot });

import 'reflect-metadata';
import { ConfigError } from '@tandem/platform';
import { banner, startStandalone } from './boot.js';

try {
  const started = await startStandalone();
  process.stdout.write(banner(started));
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  process.stderr.write(
    `standalone failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
}

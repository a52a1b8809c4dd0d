import { readFileSync } from 'node:fs';
import { getMetadataStorage } from 'class-validator';
import { BaseConfig, ConfigError, loadConfig } from '@tandem/platform';
import { RealtimeConfig, RealtimeSettings } from './realtime.config.js';

/** The rows of docs/realtime.md's Configuration table: variable → default column. */
function documentedVariables(): Map<string, string> {
  const doc = readFileSync(new URL('../../../docs/realtime.md', import.meta.url), 'utf8');
  const section = doc.slice(doc.indexOf('### Configuration'));
  const start = section.search(/^\| variable /m);
  const table = section.slice(start, section.indexOf('\n\n', start));
  const rows = new Map<string, string>();
  for (const match of table.matchAll(/^\|\s*`([A-Z0-9_]+)`\s*\|([^|]+)\|/gm)) rows.set(match[1]!, match[2]!.trim());
  return rows;
}

function isOptional(name: string): boolean {
  return getMetadataStorage()
    .getTargetValidationMetadatas(RealtimeConfig, '', true, false)
    .some((meta) => meta.propertyName === name && meta.type === 'conditionalValidation');
}

describe('realtime configuration', () => {
  const inherited = new Set(Object.keys(new BaseConfig()));
  const config: Record<string, unknown> = { ...new RealtimeConfig() };
  const own = Object.keys(config).filter((name) => !inherited.has(name));

  it('documents every variable of RealtimeConfig, and nothing else, with its default', () => {
    const documented = documentedVariables();
    expect([...documented.keys()].sort()).toEqual([...own].sort());
    for (const name of own) {
      const value = config[name];
      const expected = value !== undefined ? String(value) : isOptional(name) ? '—' : 'required';
      expect(`${name}: ${documented.get(name)}`).toBe(`${name}: ${expected}`);
    }
  });

  it('gives every feature knob a default: RealtimeSettings loads from an empty environment', () => {
    const settings: Record<string, unknown> = { ...loadConfig('realtime', RealtimeSettings, {}) };
    for (const name of Object.keys(settings).filter((key) => !inherited.has(key))) {
      expect(`${name}=${String(settings[name])}`).not.toBe(`${name}=undefined`);
    }
  });

  it('requires BROKER_URL and AUTH_JWKS_URL of the deployed app, and reads numbers', () => {
    expect(() => loadConfig('realtime', RealtimeConfig, {})).toThrow(ConfigError);
    const loaded = loadConfig('realtime', RealtimeConfig, {
      BROKER_URL: 'amqp://broker',
      AUTH_JWKS_URL: 'http://auth/jwks',
      HISTORY_MAX_EVENTS: '50',
    });
    expect(loaded.HISTORY_MAX_EVENTS).toBe(50);
    expect(loaded.COMMERCE_URL).toBeUndefined();
  });

  it('refuses bad values with a clear error', () => {
    expect(() => loadConfig('realtime', RealtimeSettings, { SSE_MAX_CHANNELS: '0' })).toThrow(/SSE_MAX_CHANNELS/);
    expect(() => loadConfig('realtime', RealtimeSettings, { REALTIME_QUEUE: 'a b' })).toThrow(/REALTIME_QUEUE/);
  });
});

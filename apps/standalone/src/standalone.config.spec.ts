import { generateKeyPairSync } from 'node:crypto';
import { ConfigError } from '@tandem/platform';
import { AuthConfig } from '../../auth/src/index.js';
import { loadStandaloneSettings, standaloneAuthConfig } from './standalone.config.js';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadStandaloneSettings(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('standalone configuration', () => {
  it('needs no variable: every URL and key has an embedded default, every knob its default', () => {
    const settings = loadStandaloneSettings({});
    expect(settings.standalone).toEqual(
      expect.objectContaining({ TANDEM_DATA_DIR: '.data/standalone', TANDEM_DEMO_DATA: true }),
    );
    expect(settings.standalone.DATABASE_URL).toBeUndefined();
    expect(settings.auth.ACCESS_TOKEN_TTL).toBe(900);
    expect(settings.commerce.REQUESTS_PER_IP_PER_MINUTE).toBe(1200);
    expect(settings.realtime.HISTORY_MAX_EVENTS).toBe(1000);
  });

  it("validates the apps' own knobs under their own names", () => {
    const settings = loadStandaloneSettings({ ACCESS_TOKEN_TTL: '120', REQUESTS_PER_IP_PER_MINUTE: '7' });
    expect(settings.auth.ACCESS_TOKEN_TTL).toBe(120);
    expect(settings.commerce.REQUESTS_PER_IP_PER_MINUTE).toBe(7);
    expect(problemsOf({ ACCESS_TOKEN_TTL: '5', RETENTION_HOURS: 'a day' })).toEqual(
      expect.arrayContaining([expect.stringMatching(/^ACCESS_TOKEN_TTL/), expect.stringMatching(/^RETENTION_HOURS/)]),
    );
  });

  it('checks the URLs and the key it is given, and names every problem once', () => {
    const problems = problemsOf({
      DATABASE_URL: 'mysql://x',
      BROKER_URL: 'http://x',
      JWT_PRIVATE_KEY: 'not a key',
      PORT: 'eighty',
    });
    expect(problems.filter((problem) => problem.startsWith('DATABASE_URL'))).toHaveLength(1);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^DATABASE_URL must be a postgres:\/\//),
        expect.stringMatching(/^BROKER_URL must be a amqp:\/\//),
        expect.stringMatching(/^JWT_PRIVATE_KEY must be a PEM-encoded private key/),
        expect.stringMatching(/^PORT/),
      ]),
    );
  });

  it('refuses half an admin pair', () => {
    expect(problemsOf({ ADMIN_EMAIL: 'a@b.test' })).toContain(
      'ADMIN_EMAIL and ADMIN_PASSWORD must be set together (or neither: a random admin password is printed)',
    );
  });

  it("builds auth's full config from its settings and what standalone provides", () => {
    const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const settings = loadStandaloneSettings({ REFRESH_TOKEN_TTL: '600' });
    const auth = standaloneAuthConfig(settings.auth, { databaseUrl: 'postgres://embedded', signingKey: pem });
    expect(auth).toBeInstanceOf(AuthConfig);
    expect(auth).toEqual(
      expect.objectContaining({ DATABASE_URL: 'postgres://embedded', JWT_PRIVATE_KEY: pem, REFRESH_TOKEN_TTL: 600 }),
    );
  });
});

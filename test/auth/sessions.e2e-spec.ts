import { decodeJwt } from 'jose';
import pg from 'pg';
import request from 'supertest';
import { startAuth } from '../support/auth.js';
import type { AuthFixture } from '../support/auth.js';
import { register } from '../support/http.js';
import type { TestSession } from '../support/http.js';

const AUTH = '/api/v1/auth';

/**
 * Sessions (refresh-token families) against real PostgreSQL under READ COMMITTED: refresh and
 * revoke lock the session row (RFC 9700 §4.14), and a session has an absolute lifetime
 * (docs/security.md, "Authentication, tokens and revocation").
 */
describe('auth sessions against real PostgreSQL', () => {
  let auth: AuthFixture;
  let db: pg.Client;

  beforeAll(async () => {
    auth = await startAuth({ REFRESH_TOKEN_TTL: '3600', REFRESH_TOKEN_ABSOLUTE_TTL: '600' });
    db = new pg.Client({ connectionString: auth.db.url });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await auth?.close();
  });

  const refresh = (refreshToken: string) => request(auth.url).post(`${AUTH}/refresh`).send({ refreshToken });
  const me = (accessToken: string) => request(auth.url).get(`${AUTH}/me`).set('Authorization', `Bearer ${accessToken}`);

  it('leaves no working token of a family revoked while refreshes of it were in flight (many rounds)', async () => {
    for (let round = 0; round < 12; round += 1) {
      const first = await register(auth.url);
      const second = (await refresh(first.refreshToken)).body as TestSession;
      // Honest refreshes of the current token race the replay of the spent one (theft detected).
      const racing = await Promise.all([
        ...Array.from({ length: 4 }, () => refresh(second.refreshToken)),
        ...Array.from({ length: 4 }, () => refresh(first.refreshToken)),
        request(auth.url).post(`${AUTH}/logout`).send({ refreshToken: second.refreshToken }),
      ]);
      expect(racing.map((res) => res.status).filter((status) => ![200, 204, 401].includes(status))).toEqual([]);
      const minted = racing.filter((res) => res.status === 200).map((res) => res.body as TestSession);
      for (const session of [first, second, ...minted]) {
        expect((await refresh(session.refreshToken)).status).toBe(401);
        expect((await me(session.accessToken)).status).toBe(401);
      }
      const { rows } = await db.query(
        `SELECT count(*)::int AS live FROM refresh_tokens
         WHERE family_id = $1 AND revoked_at IS NULL AND used_at IS NULL`,
        [decodeJwt(first.accessToken).sid],
      );
      expect(rows[0].live).toBe(0);
    }
  });

  it('never renews a session past REFRESH_TOKEN_ABSOLUTE_TTL: refresh tokens expire with it, then 401', async () => {
    const session = await register(auth.url);
    const sid = decodeJwt(session.accessToken).sid as string;
    const { rows } = await db.query(
      `SELECT max(t.expires_at) <= s.created_at + interval '600 seconds' AS bounded
       FROM refresh_tokens t JOIN sessions s ON s.id = t.family_id WHERE s.id = $1 GROUP BY s.created_at`,
      [sid],
    );
    expect(rows[0].bounded).toBe(true);
    const renewed = await refresh(session.refreshToken);
    expect(renewed.status).toBe(200);
    // The session began 11 minutes ago: its newest refresh token is refused though not expired itself.
    await db.query(`UPDATE sessions SET created_at = now() - interval '11 minutes' WHERE id = $1`, [sid]);
    await db.query(`UPDATE refresh_tokens SET expires_at = now() + interval '1 hour' WHERE family_id = $1`, [sid]);
    expect((await refresh((renewed.body as TestSession).refreshToken)).status).toBe(401);
  });
});

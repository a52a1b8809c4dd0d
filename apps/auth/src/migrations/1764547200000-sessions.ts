import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One row per session (refresh-token family): the row refresh and revoke both lock, so a token a
 * refresh mints cannot outlive a revocation running at the same time (RFC 9700 §4.14; docs/security.md
 * "Authentication, tokens and revocation"), and the start that bounds a session's absolute lifetime.
 */
export class Sessions1764547200000 implements MigrationInterface {
  name = 'Sessions1764547200000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE sessions (
        id         uuid PRIMARY KEY,
        user_id    uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz
      )`);
    await runner.query(`
      INSERT INTO sessions (id, user_id, created_at, revoked_at)
      SELECT family_id, min(user_id::text)::uuid, min(created_at),
             CASE WHEN bool_and(revoked_at IS NOT NULL) THEN max(revoked_at) END
      FROM refresh_tokens GROUP BY family_id`);
    await runner.query(`
      ALTER TABLE refresh_tokens ADD CONSTRAINT refresh_tokens_session
      FOREIGN KEY (family_id) REFERENCES sessions(id) ON DELETE CASCADE`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE refresh_tokens DROP CONSTRAINT refresh_tokens_session`);
    await runner.query(`DROP TABLE sessions`);
  }
}

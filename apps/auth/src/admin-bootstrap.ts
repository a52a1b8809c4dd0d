import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuthConfig } from './auth.config.js';
import { PasswordHasher } from './password-hasher.js';

/** Creates the ADMIN_EMAIL account at start when it does not exist (contract: Configuration). */
@Injectable()
export class AdminBootstrap implements OnApplicationBootstrap {
  private readonly logger = new Logger(AdminBootstrap.name);

  constructor(
    @Inject(AuthConfig) private readonly config: AuthConfig,
    private readonly dataSource: DataSource,
    private readonly hasher: PasswordHasher,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { ADMIN_EMAIL: email, ADMIN_PASSWORD: password } = this.config;
    if (!email || !password) return;
    const created = await this.ensureAdmin(email, password);
    if (created) this.logger.log(`created admin account ${email.toLowerCase()}`);
  }

  /** Returns true when the account was created; an existing account is left untouched. */
  async ensureAdmin(email: string, password: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `INSERT INTO users (email, name, password_hash, roles) VALUES ($1, 'Admin', $2, $3)
       ON CONFLICT (email) DO NOTHING RETURNING id`,
      [email.trim().toLowerCase(), await this.hasher.hash(password), ['admin']],
    );
    return rows.length > 0;
  }
}

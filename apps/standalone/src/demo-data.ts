import { randomBytes } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AdminBootstrap } from '../../auth/src/admin-bootstrap.js';
import { PasswordHasher } from '../../auth/src/password-hasher.js';
import { seedDemoCatalog } from '../../commerce/src/demo-catalog.js';
import type { StandaloneSettings } from './standalone.config.js';

export const DEFAULT_ADMIN_EMAIL = 'admin@tandem.local';
export const DEMO_CUSTOMER_EMAIL = 'customer@tandem.local';

export interface Account {
  role: 'admin' | 'customer';
  email: string;
  /** Only when this start created the account with a random password (printed once, never stored). */
  password?: string;
  note?: string;
}

export interface DemoDataReport {
  accounts: Account[];
  productsSeeded: number;
}

function randomPassword(): string {
  return randomBytes(12).toString('base64url');
}

/**
 * The contract's ADMIN_* rules for standalone, the demo catalog and a demo customer. Idempotent:
 * existing accounts are left alone (their passwords were printed when they were created).
 */
export async function ensureDemoData(
  app: INestApplicationContext,
  settings: StandaloneSettings,
): Promise<DemoDataReport> {
  const dataSource = app.get(DataSource);
  const accounts: Account[] = [];
  const { ADMIN_EMAIL, ADMIN_PASSWORD } = settings.auth;
  if (ADMIN_EMAIL && ADMIN_PASSWORD) {
    // AdminBootstrap (auth's own start hook) created it from the variables.
    accounts.push({ role: 'admin', email: ADMIN_EMAIL.toLowerCase(), note: 'password from ADMIN_PASSWORD' });
  } else {
    const password = randomPassword();
    const created = await app.get(AdminBootstrap, { strict: false }).ensureAdmin(DEFAULT_ADMIN_EMAIL, password);
    accounts.push(
      created
        ? { role: 'admin', email: DEFAULT_ADMIN_EMAIL, password }
        : {
            role: 'admin',
            email: DEFAULT_ADMIN_EMAIL,
            note: 'password printed at first start (or set ADMIN_EMAIL/ADMIN_PASSWORD)',
          },
    );
  }
  let productsSeeded = 0;
  if (settings.standalone.TANDEM_DEMO_DATA) {
    const password = randomPassword();
    const hash = await app.get(PasswordHasher, { strict: false }).hash(password);
    const rows: unknown[] = await dataSource.query(
      `INSERT INTO users (email, name, password_hash, roles) VALUES ($1, 'Demo Customer', $2, $3)
       ON CONFLICT (email) DO NOTHING RETURNING id`,
      [DEMO_CUSTOMER_EMAIL, hash, ['customer']],
    );
    accounts.push(
      rows.length > 0
        ? { role: 'customer', email: DEMO_CUSTOMER_EMAIL, password }
        : {
            role: 'customer',
            email: DEMO_CUSTOMER_EMAIL,
            note: 'password printed at first start (or register a new account on the page)',
          },
    );
    // Only into an empty catalog: a restart should not cost 300 statements.
    const [{ count }] = await dataSource.query(`SELECT count(*)::int AS count FROM products`);
    if (count === 0) productsSeeded = await seedDemoCatalog(dataSource);
  }
  return { accounts, productsSeeded };
}

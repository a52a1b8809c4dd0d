import { randomBytes } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuthService } from '../../auth/src/index.js';
import { seedDemoCatalog } from '../../commerce/src/index.js';
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
 * The ADMIN_* rules of docs/contract.md "Configuration" for standalone, the demo catalog and a
 * demo customer. Accounts are created through auth's own AuthService.ensureAccount. Idempotent:
 * existing accounts are left alone (their passwords were printed when they were created).
 */
export async function ensureDemoData(
  app: INestApplicationContext,
  settings: StandaloneSettings,
): Promise<DemoDataReport> {
  const dataSource = app.get(DataSource);
  const auth = app.get(AuthService, { strict: false });
  const accounts: Account[] = [];
  const { ADMIN_EMAIL, ADMIN_PASSWORD } = settings.auth;
  if (ADMIN_EMAIL && ADMIN_PASSWORD) {
    // AdminBootstrap (auth's own start hook) created it from the variables.
    accounts.push({ role: 'admin', email: ADMIN_EMAIL.toLowerCase(), note: 'password from ADMIN_PASSWORD' });
  } else {
    const password = randomPassword();
    const created = await auth.ensureAccount({ email: DEFAULT_ADMIN_EMAIL, password, name: 'Admin', roles: ['admin'] });
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
    const created = await auth.ensureAccount({
      email: DEMO_CUSTOMER_EMAIL,
      password,
      name: 'Demo Customer',
      roles: ['customer'],
    });
    accounts.push(
      created
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

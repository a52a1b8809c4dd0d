#!/usr/bin/env node
// Writes docs/openapi.json from the built auth and commerce controllers (run `npm run build` first).
// `--check` compares instead and exits 1 when the committed document is out of date (CI runs this).
import 'reflect-metadata';
import { readFileSync, writeFileSync } from 'node:fs';

const dist = new URL('../dist/apps/', import.meta.url);
const load = (path) => import(new URL(path, dist).href);

const { openApiDocument } = await load('commerce/libs/platform/src/index.js');
const { AuthController } = await load('auth/apps/auth/src/auth.controller.js');
const { ProductsController } = await load('commerce/apps/commerce/src/products.controller.js');
const { OrdersController } = await load('commerce/apps/commerce/src/orders.controller.js');
const { AccessTokenGuard } = await load('commerce/libs/security/src/index.js');
const auth = await load('auth/libs/security/src/index.js');

const document = await openApiDocument(
  'Tandem REST API (auth + commerce)',
  [AuthController, ProductsController, OrdersController],
  [AccessTokenGuard, auth.AccessTokenGuard],
);
const text = `${JSON.stringify(document, null, 2)}\n`;
const target = new URL('../docs/openapi.json', import.meta.url);

if (process.argv.includes('--check')) {
  let committed = '';
  try {
    committed = readFileSync(target, 'utf8');
  } catch {
    // missing counts as out of date
  }
  if (committed !== text) {
    console.error('docs/openapi.json is out of date: run `npm run build && npm run openapi` and commit it');
    process.exit(1);
  }
  console.log('docs/openapi.json matches the code');
} else {
  writeFileSync(target, text);
  console.log('wrote docs/openapi.json');
}

import { CreateOutbox1732300000000, OutboxRelayOffsets1796169600000 } from '@tandem/messaging';
import { CommerceSchema1732300000200 } from './1732300000200-commerce-schema.js';
import { OrderVersionExpiry1796083200200 } from './1796083200200-order-version-expiry.js';

export const commerceMigrations = [
  CreateOutbox1732300000000,
  CommerceSchema1732300000200,
  OrderVersionExpiry1796083200200,
  OutboxRelayOffsets1796169600000,
];

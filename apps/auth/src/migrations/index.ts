import { CreateOutbox1732300000000, OutboxRelayOffsets1796169600000 } from '@tandem/messaging';
import { AuthSchema1732300000100 } from './1732300000100-auth-schema.js';
import { Sessions1764547200000 } from './1764547200000-sessions.js';

export const authMigrations = [
  CreateOutbox1732300000000,
  AuthSchema1732300000100,
  Sessions1764547200000,
  OutboxRelayOffsets1796169600000,
];

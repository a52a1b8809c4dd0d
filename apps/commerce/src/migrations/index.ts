import { CreateOutbox1732300000000 } from '@tandem/messaging';
import { CommerceSchema1732300000200 } from './1732300000200-commerce-schema.js';

export const commerceMigrations = [CreateOutbox1732300000000, CommerceSchema1732300000200];

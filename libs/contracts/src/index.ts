export * from './auth.dto.js';
export * from './catalog.dto.js';
export * from './orders.dto.js';
export * from './events.js';
export * from './channels.js';
export * from './problem.js';
export * from './realtime.dto.js';

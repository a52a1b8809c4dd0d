export * from './broker.js';
export * from './outbox.entity.js';
export * from './outbox.migration.js';
export * from './outbox.writer.js';
export * from './outbox.relay.js';
export * from './outbox.module.js';
export * from './rabbitmq.broker.js';
export * from './in-process.broker.js';

/** DI tokens of the realtime feature. */
export const REALTIME_SETTINGS = Symbol('REALTIME_SETTINGS');
/** The EventConsumerSource the gateway consumes from (RabbitMQ, or standalone's in-process broker). */
export const REALTIME_EVENT_SOURCE = Symbol('REALTIME_EVENT_SOURCE');
/** True when the module created the source itself and must close it. */
export const REALTIME_OWNS_SOURCE = Symbol('REALTIME_OWNS_SOURCE');

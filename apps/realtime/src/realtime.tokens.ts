/** DI tokens of the realtime feature. */
export const REALTIME_SETTINGS = Symbol('REALTIME_SETTINGS');

// One clock for every timestamp the generator takes: performance.now() on the wall-clock axis
// (sub-millisecond, monotonic within the process), comparable with occurredAt from the server
// (same machine clock, millisecond resolution).
import { performance } from 'node:perf_hooks';

export const wallNow = () => performance.timeOrigin + performance.now();
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

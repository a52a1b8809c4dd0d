/** IPC messages between standalone and its embedded-database child (see pglite-server.ts). */
export type ChildMessage =
  { type: 'ready'; host: string; port: number; created: boolean; ms: number } | { type: 'error'; message: string };

export type ParentMessage = { type: 'stop' };

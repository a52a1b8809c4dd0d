import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChildMessage, ParentMessage } from './protocol.js';

export interface EmbeddedDatabase {
  /** The private directory of its Unix socket; with `port`, what pg needs to connect. */
  host: string;
  port: number;
  /** True when this start created the database (initdb ran). */
  created: boolean;
  /** Time the child needed to open (or create) the database. */
  ms: number;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 10_000;

/** Starts the embedded PostgreSQL-compatible database (PGlite) in a child process. */
export async function startEmbeddedDatabase(dataDir: string): Promise<EmbeddedDatabase> {
  const script = fileURLToPath(new URL('./pglite-server.js', import.meta.url));
  const child: ChildProcess = fork(script, [dataDir], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    // Not the parent's --inspect or test flags; PGlite's WASM heap lives only here.
    execArgv: [],
    serialization: 'json',
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = await new Promise<Extract<ChildMessage, { type: 'ready' }>>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the embedded database did not start within ${START_TIMEOUT_MS / 1000} s`));
    }, START_TIMEOUT_MS);
    child.on('message', (message: ChildMessage) => {
      clearTimeout(timer);
      if (message.type === 'ready') resolve(message);
      else reject(new Error(`embedded database: ${message.message}`));
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the embedded database process exited with code ${code} before it was ready`));
    });
  });
  let stopping: Promise<void> | undefined;
  return {
    host: ready.host,
    port: ready.port,
    created: ready.created,
    ms: ready.ms,
    stop: () =>
      (stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.send({ type: 'stop' } satisfies ParentMessage);
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      })()),
  };
}

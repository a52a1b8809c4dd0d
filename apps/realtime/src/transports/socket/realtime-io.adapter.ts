import { IoAdapter } from '@nestjs/platform-socket.io';
import type { INestApplicationContext } from '@nestjs/common';
import { Server } from 'socket.io';
import type { ServerOptions } from 'socket.io';
import { ClientRegistry } from '../../delivery/client-registry.service.js';
import type { RealtimeSettings } from '../../realtime.config.js';
import { REALTIME_SETTINGS } from '../../realtime.tokens.js';
import { originAllowed } from './origin-policy.js';

/**
 * Socket.IO server options that must exist when the server is created (engine-level): Origin
 * check (docs/contract.md, CORS_ORIGINS, exact match), the message size limit, refusing new
 * connections while draining. Install with `useRealtimeAdapter(app)` before `listen` (main.ts
 * passes it to runApp as beforeListen; a standalone process must do the same).
 */
class RealtimeIoAdapter extends IoAdapter {
  constructor(
    private readonly appContext: INestApplicationContext,
    private readonly settings: RealtimeSettings,
  ) {
    super(appContext);
  }

  /**
   * Builds the server from the app's own socket.io (Nest's platform package pins a nested copy):
   * one socket.io in the process, the one the Redis adapter and the types are written against.
   */
  override createIOServer(
    port: number,
    options?: Parameters<IoAdapter['createIOServer']>[1],
  ): ReturnType<IoAdapter['createIOServer']> {
    const registry = this.appContext.get(ClientRegistry, { strict: false });
    const allowed = this.settings.CORS_ORIGINS;
    const { adapter: _adapter, ...rest } = (options ?? {}) as Record<string, unknown>;
    const serverOptions: Partial<ServerOptions> = {
      ...(rest as Partial<ServerOptions>),
      maxHttpBufferSize: this.settings.SOCKET_MAX_MESSAGE_BYTES,
      // Browsers on a listed origin may use the polling transport across origins.
      cors: allowed.length > 0 ? { origin: allowed, credentials: true } : undefined,
      // Every new connection passes here (the engine handshake), before any namespace middleware.
      allowRequest: (req, callback) => {
        if (!registry.accepting) return callback('shutting down', false);
        const allowedOrigin = originAllowed(req, allowed);
        callback(allowedOrigin ? null : 'origin not allowed', allowedOrigin);
      },
    };
    const server =
      this.httpServer && port === 0 ? new Server(this.httpServer, serverOptions) : new Server(port, serverOptions);
    return server as unknown as ReturnType<IoAdapter['createIOServer']>;
  }
}

/** Installs the realtime Socket.IO adapter on an app that imports RealtimeModule. */
export function useRealtimeAdapter(
  app: INestApplicationContext & { useWebSocketAdapter(adapter: IoAdapter): unknown },
) {
  const settings = app.get<RealtimeSettings>(REALTIME_SETTINGS, { strict: false });
  app.useWebSocketAdapter(new RealtimeIoAdapter(app, settings));
}

import { jest } from '@jest/globals';
import type { RealtimeSocket } from './realtime-server.js';
import { SocketSubscriber } from './socket-subscriber.js';

/** A Socket.IO socket reduced to what a subscriber touches: its engine connection's buffers. */
function fakeSocket(buffered: { ws: number; queued: string[] }) {
  const ws = {
    get bufferedAmount() {
      return buffered.ws;
    },
    terminate: jest.fn(),
  };
  const conn = {
    get writeBuffer() {
      return buffered.queued.map((data) => ({ type: 'message', data }));
    },
    transport: { socket: ws },
    close: jest.fn(),
  };
  const socket = { id: 'sock', conn, emit: jest.fn(), disconnect: jest.fn() };
  return { socket: socket as unknown as RealtimeSocket, ws, conn };
}

describe('SocketSubscriber unsent bound', () => {
  const limits = { seenIds: 16, maxBuffered: 16 };

  it('counts what engine.io queued and what the WebSocket still holds', () => {
    const buffered = { ws: 100, queued: ['abc', 'de'] };
    const client = new SocketSubscriber(fakeSocket(buffered).socket, 'ip', limits, 1000);
    expect(client.unsentBytes()).toBe(105);
  });

  it('tears a client down once, and counts it, when more than the bound waits for it', () => {
    const buffered = { ws: 0, queued: [] as string[] };
    const { socket, ws } = fakeSocket(buffered);
    const client = new SocketSubscriber(socket, 'ip', limits, 1000);
    const shed = jest.fn();
    client.onShed = shed;
    client.keepUp();
    expect(ws.terminate).not.toHaveBeenCalled();
    buffered.ws = 800;
    buffered.queued = ['x'.repeat(300)];
    client.keepUp();
    client.keepUp();
    expect(ws.terminate).toHaveBeenCalledTimes(1);
    expect(shed).toHaveBeenCalledTimes(1);
  });

  it('closes the engine connection, discarding its queue, on a transport without a WebSocket (polling)', () => {
    const buffered = { ws: 0, queued: ['x'.repeat(2000)] };
    const { socket, conn } = fakeSocket(buffered);
    (conn.transport as { socket?: unknown }).socket = undefined;
    new SocketSubscriber(socket, 'ip', limits, 1000).keepUp();
    expect(conn.close).toHaveBeenCalledWith(true);
  });
});

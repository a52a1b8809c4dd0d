// A flash sale's watchers, in a process of their own (one per gateway), so that thousands of
// sockets neither share the event loop of the customers placing orders nor of each other: their
// receipt times are not delayed by the generator (docs/benchmarks.md, "Flash sale"). Times are
// wallNow() (clock.mjs), comparable across processes on this machine.
// IPC: {cmd:'open', url, n} · {cmd:'probe', channel, ms} → {supported, answer}
//      {cmd:'watch', productId, since, conflateMs} → {refused}
//      {cmd:'collect'} → {zeroAt: [ms | null], deliveries, eventLoopDelayP99Ms}
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { conflateSupported } from './flashsale.mjs';
import { connectSocket } from './saturation.mjs';
import { pool } from './scenarios.mjs';
import { wallNow } from './clock.mjs';

let sockets = [];
let sale;

const handlers = {
  async open({ url, n }) {
    sockets = new Array(n);
    await pool(
      Array.from({ length: n }, (_, i) => i),
      50,
      async (i) => {
        sockets[i] = await connectSocket(url);
      },
    );
    return {};
  },
  probe: ({ channel, ms }) => conflateSupported(sockets[0], channel, ms),
  async watch({ productId, since, conflateMs }) {
    const channel = `product:${productId}`;
    const zeroAt = new Array(sockets.length).fill(null);
    const eld = monitorEventLoopDelay({ resolution: 10 });
    sale = { channel, zeroAt, deliveries: 0, eld, listeners: [] };
    sale.listeners = sockets.map((socket, i) => {
      const fn = (type, envelope) => {
        const d = envelope?.data;
        if (!d) return;
        const stock =
          type === 'inventory.changed' && d.productId === productId
            ? d.stock
            : type === 'product.updated' && d.id === productId
              ? d.stock
              : undefined;
        if (stock === undefined) return;
        sale.deliveries += 1;
        if (stock === 0 && zeroAt[i] === null) zeroAt[i] = wallNow();
      };
      socket.onAny(fn);
      return fn;
    });
    let refused = 0;
    await pool(
      sockets.map((_, i) => i),
      100,
      async (i) => {
        const ack = await sockets[i]
          .timeout(30_000)
          .emitWithAck('subscribe', { channel, since, ...(conflateMs ? { conflate: conflateMs } : {}) });
        if (!ack?.ok) refused += 1;
      },
    );
    eld.enable();
    return { refused };
  },
  zeros: () => ({ atZero: sale.zeroAt.filter((x) => x !== null).length }),
  async collect() {
    const { channel, zeroAt, deliveries, eld, listeners } = sale;
    eld.disable();
    sockets.forEach((s, i) => s.offAny(listeners[i]));
    await pool(
      sockets.map((_, i) => i),
      100,
      (i) =>
        sockets[i]
          .timeout(30_000)
          .emitWithAck('unsubscribe', { channel })
          .catch(() => undefined),
    );
    return { zeroAt, deliveries, eventLoopDelayP99Ms: eld.percentile(99) / 1e6 };
  },
};

process.on('message', async (msg) => {
  try {
    process.send({ seq: msg.seq, ...(await handlers[msg.cmd](msg)) });
  } catch (error) {
    process.send({ seq: msg.seq, error: String(error?.message ?? error) });
  }
});
process.on('disconnect', () => {
  for (const s of sockets) s?.close();
  process.exit(0);
});

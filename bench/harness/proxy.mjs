// A counting TCP proxy, run as its own process (so its CPU is neither the generator's nor a
// server's). Clients' REST and Socket.IO traffic goes through it; bytes are counted both ways.
// Protocol (IPC): {cmd:'listen', target, delayMs?} → {port}; {cmd:'counts'} → {counts: {[port]: {up, down, conns}}}.
// With delayMs every chunk waits that long in each direction (order kept: equal timers fire in
// order), so a round trip through the proxy costs 2 × delayMs more: a network hop between
// commerce and PostgreSQL, as in a cloud (docs/benchmarks.md, "Method").
import { createServer, connect } from 'node:net';

const counts = {};
process.on('message', (msg) => {
  if (msg.cmd === 'listen') {
    const c = { up: 0, down: 0, conns: 0 };
    const server = createServer({ noDelay: true }, (client) => {
      c.conns += 1;
      const upstream = connect({ port: msg.target, host: '127.0.0.1', noDelay: true });
      client.on('data', (d) => {
        c.up += d.length;
      });
      upstream.on('data', (d) => {
        c.down += d.length;
      });
      if (msg.delayMs > 0) {
        const delayed = (from, to) =>
          from.on('data', (d) => {
            setTimeout(() => {
              if (!to.destroyed) to.write(d);
            }, msg.delayMs);
          });
        delayed(client, upstream);
        delayed(upstream, client);
      } else {
        client.pipe(upstream).pipe(client);
      }
      const close = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('close', close);
      upstream.on('close', close);
      client.on('error', () => undefined);
      upstream.on('error', () => undefined);
    });
    server.maxConnections = 100_000;
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      counts[port] = c;
      process.send({ seq: msg.seq, port });
    });
  } else if (msg.cmd === 'counts') {
    process.send({ seq: msg.seq, counts: structuredClone(counts) });
  }
});
process.on('disconnect', () => process.exit(0));

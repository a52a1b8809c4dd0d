// The floor: what the same workload costs without Tandem. FLOOR=socketio → a bare Socket.IO 4.8
// server (no Nest, no auth, no broker; REDIS_URL set → @socket.io/redis-adapter between servers);
// FLOOR=express → a bare Express polling endpoint with ETag/304. Both take their state changes
// over plain HTTP from the load generator (POST /emit, POST /state/:key).
import { createServer } from 'node:http';
import express from 'express';
import { Server } from 'socket.io';

const port = Number(process.env.PORT);
const app = express();
app.use(express.json());
app.get('/health/ready', (_req, res) => res.send('ok'));

if (process.env.FLOOR === 'express') {
  const state = new Map();
  app.get('/state/:key', (req, res) => {
    const value = state.get(req.params.key) ?? { version: 0, data: null };
    const etag = `"${value.version}"`;
    res.setHeader('ETag', etag);
    res.setHeader('Cache-Control', 'no-cache');
    if (req.headers['if-none-match'] === etag) return res.status(304).end();
    res.json({ key: req.params.key, version: value.version, data: value.data });
  });
  app.post('/state/:key', (req, res) => {
    const prev = state.get(req.params.key);
    const value = { version: (prev?.version ?? 0) + 1, data: req.body };
    state.set(req.params.key, value);
    res.json({ version: value.version });
  });
  createServer(app).listen(port, '127.0.0.1');
} else {
  const http = createServer(app);
  const io = new Server(http, { transports: ['websocket'], serveClient: false });
  if (process.env.REDIS_URL) {
    const { Redis } = await import('ioredis');
    const { createAdapter } = await import('@socket.io/redis-adapter');
    const pub = new Redis(process.env.REDIS_URL);
    const sub = pub.duplicate();
    io.adapter(createAdapter(pub, sub, { key: process.env.REDIS_KEY ?? 'bench-floor' }));
  }
  io.on('connection', (socket) => {
    socket.on('subscribe', (body, ack) => {
      if (body && typeof body.channel === 'string') socket.join(body.channel);
      if (typeof ack === 'function') ack({ ok: true, recovered: true });
    });
  });
  // The same envelope shape Tandem emits, so bytes on the wire compare.
  app.post('/emit', (req, res) => {
    const { channels, type, data, id, offset } = req.body;
    io.to(channels).emit(type, { id, type, channels, offset, occurredAt: new Date().toISOString(), data });
    res.status(204).end();
  });
  http.listen(port, '127.0.0.1');
}

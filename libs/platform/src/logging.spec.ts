import { Writable } from 'node:stream';
import { pino } from 'pino';
import { pinoHttpOptions } from './logging.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const options = pinoHttpOptions('test', 'info');
  const logger = pino(
    { name: 'test', level: 'info', redact: options.redact as { paths: string[]; censor: string } },
    stream,
  );
  return { logger, lines };
}

describe('log redaction', () => {
  it('never writes passwords, tokens or credentials headers', () => {
    const { logger, lines } = capture();
    logger.info(
      {
        req: {
          headers: { authorization: 'Bearer eyJsecret', cookie: 'sid=secret-cookie', 'idempotency-key': 'k-secret' },
        },
        body: { email: 'a@b.c', password: 'hunter2-secret' },
        session: { accessToken: 'at-secret', refreshToken: 'rt-secret' },
        auth: { token: 'socket-secret' },
      },
      'request',
    );
    const line = lines.join('');
    expect(line).toContain('a@b.c');
    expect(line).toContain('[redacted]');
    for (const secret of [
      'eyJsecret',
      'secret-cookie',
      'k-secret',
      'hunter2-secret',
      'at-secret',
      'rt-secret',
      'socket-secret',
    ]) {
      expect(line).not.toContain(secret);
    }
  });
});

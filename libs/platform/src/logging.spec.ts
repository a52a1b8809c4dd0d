import { Writable } from 'node:stream';
import { pino } from 'pino';
import { QueryFailedError } from 'typeorm';
import { pinoHttpOptions, serializeError } from './logging.js';

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

describe('error serialization', () => {
  /** What TypeORM throws for a failed statement: the parameters and the driver error ride along. */
  function queryFailed(): QueryFailedError {
    const driverError = Object.assign(new Error('duplicate key value violates unique constraint "users_email_key"'), {
      code: '23505',
      detail: 'Key (email)=(victim@example.test) already exists.',
    });
    return new QueryFailedError(
      'INSERT INTO users (email, password_hash) VALUES ($1, $2)',
      ['victim@example.test', 'scrypt$secret-password-hash'],
      driverError,
    );
  }

  it('keeps type, message, stack and code, and drops parameters and driver internals', () => {
    const logged = serializeError(queryFailed());
    expect(Object.keys(logged).sort()).toEqual(['code', 'message', 'stack', 'type']);
    expect(logged).toEqual(expect.objectContaining({ type: 'QueryFailedError', code: '23505' }));
    const text = JSON.stringify(logged);
    expect(text).not.toContain('victim@example.test');
    expect(text).not.toContain('secret-password-hash');
  });

  it('is what every log line of the apps writes for `err`', () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const options = pinoHttpOptions('test', 'info');
    const logger = pino({ level: 'info', serializers: { err: options.serializers!.err! } }, stream);
    logger.error({ err: queryFailed() }, 'unhandled error');
    expect(lines.join('')).toContain('QueryFailedError');
    expect(lines.join('')).not.toContain('victim@example.test');
    expect(lines.join('')).not.toContain('secret-password-hash');
  });

  it('describes thrown non-errors too', () => {
    expect(serializeError('boom')).toEqual({ type: 'string', message: 'boom' });
  });
});

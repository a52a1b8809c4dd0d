import type { IncomingMessage } from 'node:http';
import { clientIp } from './client-ip.js';

function request(peer: string, forwardedFor?: string): IncomingMessage {
  return {
    socket: { remoteAddress: peer },
    connection: { remoteAddress: peer },
    headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
  } as unknown as IncomingMessage;
}

describe('clientIp', () => {
  it('is the socket peer when no proxy is trusted, whatever X-Forwarded-For says', () => {
    expect(clientIp(request('203.0.113.9', '198.51.100.1'), 0)).toBe('203.0.113.9');
  });

  it('behind one trusted proxy, is the address that proxy appended (the rightmost entry)', () => {
    expect(clientIp(request('10.0.0.2', 'forged, 198.51.100.7'), 1)).toBe('198.51.100.7');
  });

  it('behind two trusted proxies, skips exactly two hops and never reaches a forged entry', () => {
    expect(clientIp(request('10.0.0.2', 'forged, 198.51.100.7, 10.0.0.3'), 2)).toBe('198.51.100.7');
  });

  it('with fewer forwarded entries than trusted hops, is the leftmost address there is', () => {
    expect(clientIp(request('10.0.0.2', '198.51.100.7'), 3)).toBe('198.51.100.7');
    expect(clientIp(request('10.0.0.2'), 1)).toBe('10.0.0.2');
  });
});

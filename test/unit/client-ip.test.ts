import type { IncomingMessage } from 'node:http';
import { clientIpResolver } from '../../src/http/client-ip';

const request = (peer: string, forwardedFor?: string) =>
  ({
    socket: { remoteAddress: peer },
    headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
  }) as unknown as IncomingMessage;

describe('the client address for per-IP rate limits', () => {
  it('is the socket peer when no proxy is trusted, whatever X-Forwarded-For says', () => {
    expect(clientIpResolver(0)(request('10.0.0.5', '203.0.113.1'))).toBe('10.0.0.5');
  });

  it('with N hops: the address the Nth proxy from the server saw', () => {
    const oneHop = clientIpResolver(1);
    expect(oneHop(request('10.0.0.5', '198.51.100.9, 203.0.113.1'))).toBe('203.0.113.1');
    expect(oneHop(request('10.0.0.5'))).toBe('10.0.0.5'); // no header: the peer itself
    expect(clientIpResolver(2)(request('10.0.0.5', '198.51.100.9, 203.0.113.1, 10.0.0.4'))).toBe('203.0.113.1');
  });

  it('with subnets: skips every trusted address from the right, stops at the first untrusted one', () => {
    const lan = clientIpResolver(['10.0.0.0/8']);
    expect(lan(request('10.0.0.5', '198.51.100.9, 203.0.113.1, 10.1.2.3'))).toBe('203.0.113.1');
    expect(lan(request('192.0.2.10', '203.0.113.1'))).toBe('192.0.2.10'); // an untrusted peer's header is ignored
  });
});

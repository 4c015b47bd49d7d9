import { clientKey } from './client-key';

describe('clientKey', () => {
  it('is the address for IPv4, the IPv4 for mapped and translated IPv6, the /64 for other IPv6', () => {
    expect(clientKey('203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey('64:ff9b::203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey('64:FF9B:0:0:0:0:cb00:7107')).toBe('203.0.113.7');
    expect(clientKey('::ffff:0:203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey('2001:db8:aa:1::1')).toBe('2001:db8:aa:1::/64');
    expect(clientKey('64:ff9b::1:cb00:7107')).toBe('64:ff9b::/64');
  });

  it('gives a request whose socket is already gone (remoteAddress undefined) a key, not a TypeError (a 500)', () => {
    // Fastify's request.ip is socket.remoteAddress, undefined once the client has disconnected.
    expect(clientKey(undefined as unknown as string)).toBe('unknown');
  });
});

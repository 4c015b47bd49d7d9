import { forbiddenAddressReason, parseCallbackUrl } from './callback-url';

describe('forbiddenAddressReason', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.0.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'CGNAT'],
    ['100.127.255.255', 'CGNAT'],
    ['224.0.0.251', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:192.168.1.1', 'private'],
    ['fc00::1', 'private'],
    ['fe80::1%eth0', 'link-local'],
    ['ff02::1', 'multicast'],
    // Forms that reach IPv4 or internal space through a translator or a tunnel.
    ['64:ff9b:1::7f00:1', 'NAT64 local-use'],
    ['64:ff9b:1:abcd::8.8.8.8', 'NAT64 local-use'],
    ['64:ff9b::a00:1', 'private'],
    ['2002:7f00:1::1', '6to4'],
    ['2002:a00:1::', '6to4'],
    ['2002:808:808::1', '6to4'],
    ['2001::1', 'Teredo'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'Teredo'],
    ['::ffff:0:127.0.0.1', 'loopback'],
    ['::ffff:0:7f00:1', 'loopback'],
    ['::ffff:0:a00:1', 'private'],
    ['::ffff:0:169.254.169.254', 'link-local'],
    ['fd12:3456::1', 'private'],
    ['fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'private'],
    ['fec0::1', 'site-local'],
    ['feff::1', 'site-local'],
    ['100::1', 'discard'],
    ['100::ffff:ffff:ffff:ffff', 'discard'],
    ['2001:db8::1', 'documentation'],
    ['2001:db8:ffff::1', 'documentation'],
    ['3fff::1', 'documentation'],
    ['3fff:fff:ffff::1', 'documentation'],
    ['2001:2::1', 'benchmarking'],
  ])('refuses %s (%s)', (address, reason) => {
    expect(forbiddenAddressReason(address)).toBe(reason);
  });

  it.each([
    '8.8.8.8',
    '203.0.113.10',
    '100.128.0.1',
    '172.32.0.1',
    '2001:4860:4860::8888',
    '::ffff:8.8.8.8',
    '::ffff:0:8.8.8.8',
    '64:ff9b::808:808',
    // Just outside each refused IPv6 range.
    '64:ff9b:2::1',
    '2003::1',
    '2001:200::1',
    '2001:db9::1',
    '3fff:1000::1',
    '101::1',
    'fbff::1',
  ])('allows the public address %s', (address) => {
    expect(forbiddenAddressReason(address)).toBeNull();
  });

  it('sees through the WHATWG parser: decimal and octal hosts become dotted', () => {
    expect(parseCallbackUrl('http://2130706433/').hostname).toBe('127.0.0.1');
    expect(parseCallbackUrl('http://0177.0.0.1/').hostname).toBe('127.0.0.1');
  });
});

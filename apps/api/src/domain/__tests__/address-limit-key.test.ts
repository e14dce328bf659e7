import { limitKeyOf } from '../address-limit-key.js';

describe('limitKeyOf', () => {
  it('keeps an IPv4 address, unwraps an IPv4-mapped one, and groups IPv6 by /64', () => {
    expect(limitKeyOf('203.0.113.7')).toBe('203.0.113.7');
    expect(limitKeyOf('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(limitKeyOf('2001:db8:1:2::a')).toBe('2001:db8:1:2::/64');
    expect(limitKeyOf('2001:DB8:1:2:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(limitKeyOf('2001:db8:1:3::a')).toBe('2001:db8:1:3::/64');
    expect(limitKeyOf('::1')).toBe('::/64');
  });

  it('puts what is no address under one key', () => {
    for (const value of [null, undefined, '', 'localhost', '999.1.1.1', '2001:db8::g']) expect(limitKeyOf(value)).toBe('unknown');
  });
});

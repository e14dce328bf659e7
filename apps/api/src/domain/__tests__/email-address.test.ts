import { isEmailAddress } from '../email-address.js';

describe('isEmailAddress', () => {
  it('accepts ordinary addresses, a quoted local part included', () => {
    for (const address of ['ap@bloom.example', 'first.last+tag@sub.example.co.uk', '"john doe"@example.com'])
      expect(isEmailAddress(address)).toBe(true);
  });

  it('refuses control characters anywhere, CR/LF in a quoted local part included', () => {
    const refused = [
      '"a\r\nb"@example.com',
      '"a\nBcc: victim@example.com"@example.com',
      '"tab\there"@example.com',
      '"nul\u0000"@example.com',
      '"del\u007f"@example.com',
      '"c1\u0085"@example.com',
      '"sep\u2028"@example.com',
      'ap@bloom.example\r\n',
    ];
    for (const address of refused) expect({ address, accepted: isEmailAddress(address) }).toEqual({ address, accepted: false });
  });

  it('refuses what is not an address, and what no mail server takes', () => {
    for (const value of ['', 'no-at-sign', 'a@', '@b.example', `${'a'.repeat(65)}@example.com`, `a@${'b'.repeat(320)}.com`, 42, null])
      expect(isEmailAddress(value)).toBe(false);
  });
});

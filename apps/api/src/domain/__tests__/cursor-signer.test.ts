import { CursorSigner } from '../cursor-signer.js';

const OLD = 'old-secret-0123456789abcdefghijklmnopqrstuv';
const NEW = 'new-secret-0123456789abcdefghijklmnopqrstuv';
const payload = Buffer.from([1, 0, 0, 0, 0, 0, 0, 0, 42]);

describe('CursorSigner', () => {
  it('verifies its own cursors, for their context only', () => {
    const signer = new CursorSigner([NEW]);
    const cursor = signer.sign('payment-event:a', payload);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(signer.verify('payment-event:a', cursor)).toEqual(payload);
    expect(signer.verify('payment-event:b', cursor)).toBeNull();
  });

  it('rotates: signs with the first secret, accepts any, and refuses a retired one', () => {
    const before = new CursorSigner([OLD]).sign('c', payload);
    const during = new CursorSigner([NEW, OLD]);
    expect(during.verify('c', before)).toEqual(payload);
    const issued = during.sign('c', payload);
    expect(new CursorSigner([NEW]).verify('c', issued)).toEqual(payload);
    expect(new CursorSigner([NEW]).verify('c', before)).toBeNull();
  });

  it('refuses anything altered, truncated, extended or malformed', () => {
    const signer = new CursorSigner([NEW]);
    const cursor = signer.sign('c', payload);
    const bytes = Buffer.from(cursor, 'base64url');
    for (let i = 0; i < bytes.length; i++) {
      const flipped = Buffer.from(bytes);
      flipped[i] ^= 1;
      expect(signer.verify('c', flipped.toString('base64url'))).toBeNull();
    }
    for (const bad of [
      '',
      'not a cursor!',
      cursor.slice(0, -2),
      `${cursor}AA`,
      Buffer.from('outbox:1').toString('base64url'),
      'A'.repeat(10_000),
    ]) {
      expect(signer.verify('c', bad)).toBeNull();
    }
  });
});

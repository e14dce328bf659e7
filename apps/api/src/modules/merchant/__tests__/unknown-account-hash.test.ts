import { hash, verify } from '@node-rs/argon2';
import { unknownAccountHash } from '../staff-session.service.js';

/** `$argon2id$v=19$m=19456,t=2,p=1$salt$digest` → what sets the cost of verifying it. */
const costOf = (encoded: string) => encoded.split('$').slice(1, 4).join('$');

describe('the decoy hash an unknown email is checked against', () => {
  it('costs what a staff password costs: same algorithm, version, memory, passes and lanes', async () => {
    const staffPassword = await hash('a staff member long password'); // as StaffService and acceptInvitation make it
    expect(costOf(await unknownAccountHash())).toBe(costOf(staffPassword));
    expect(costOf(staffPassword)).toMatch(/^argon2id\$v=19\$m=\d+,t=\d+,p=\d+$/);
  });

  it('is one hash per process, and no password anyone could type opens it', async () => {
    expect(await unknownAccountHash()).toBe(await unknownAccountHash());
    expect(await verify(await unknownAccountHash(), '')).toBe(false);
  });
});

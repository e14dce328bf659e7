import pg from 'pg';

export default async function globalTeardown() {
  const admin = new pg.Client({ connectionString: process.env.KOMETPAY_TEST_ADMIN_URL });
  await admin.connect();
  const template = process.env.KOMETPAY_TEST_TEMPLATE_DB;
  // Test files drop their own databases; this sweeps what a crashed file left behind.
  const { rows } = await admin.query(`select datname from pg_database where datname like $1 or datname = $2`, [`${template}_%`, template]);
  for (const { datname } of rows) await admin.query(`drop database if exists "${datname}" with (force)`);
  await admin.end();
  await globalThis.__KOMETPAY_EMBEDDED__?.stop();
}

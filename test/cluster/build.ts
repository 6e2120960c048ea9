// Builds the control-plane binaries with `go build` through the Go module proxy,
// once per version: the results live in the cache (components.ts), never in the repo.
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { binaries, binaryName, cacheRoot, componentDir, components, type Component } from './components.ts';
import { ClusterError } from './errors.ts';

const modulesDir = join(dirname(fileURLToPath(import.meta.url)), 'modules');

export type BinaryPaths = Record<string, string>;

/** Where each binary is: a user-supplied directory (SLUICE_CLUSTER_BIN_DIR) or the cache. */
export async function ensureBinaries(
  progress: (line: string) => void,
  wanted: readonly Component[] = components,
): Promise<BinaryPaths> {
  const supplied = process.env['SLUICE_CLUSTER_BIN_DIR'];
  if (supplied) return suppliedBinaries(supplied);
  const paths: BinaryPaths = {};
  for (const component of wanted) {
    const dir = componentDir(component);
    removeAbandonedStaging(dir);
    const names = component.packages.map(binaryName);
    if (!names.every((name) => existsSync(join(dir, name)))) {
      await buildComponent(component, progress);
    }
    for (const name of names) paths[name] = join(dir, name);
  }
  return paths;
}

function suppliedBinaries(dir: string): BinaryPaths {
  const missing = binaries.filter((name) => !existsSync(join(dir, name)));
  if (missing.length > 0) {
    throw new ClusterError(
      `SLUICE_CLUSTER_BIN_DIR=${dir} lacks ${missing.join(', ')}. ` +
        'Put every binary there, or unset it to build them from source.',
    );
  }
  return Object.fromEntries(binaries.map((name) => [name, join(dir, name)]));
}

function requireGo(): void {
  const probe = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new ClusterError(
      'The local control plane is built from source with Go, and `go` was not found on PATH. ' +
        'Install Go 1.24 or newer (https://go.dev/dl/), or point SLUICE_CLUSTER_BIN_DIR at prebuilt ' +
        `binaries (${binaries.join(', ')}).`,
    );
  }
}

async function buildComponent(component: Component, progress: (line: string) => void): Promise<void> {
  requireGo();
  const target = componentDir(component);
  const staging = `${target}.partial-${process.pid}`;
  const logDir = join(cacheRoot(), 'logs');
  mkdirSync(logDir, { recursive: true });
  mkdirSync(staging, { recursive: true });
  const logPath = join(logDir, `build-${component.module}-${component.version}.log`);
  const started = Date.now();
  progress(`building ${component.module} ${component.version} (log: ${logPath})`);
  const heartbeat = setInterval(() => {
    const seconds = Math.round((Date.now() - started) / 1000);
    progress(`  still building ${component.module}: ${seconds}s (a cold build of every component takes about 10 min on 2 cores)`);
  }, 60_000);
  try {
    const args = [
      'build',
      '-trimpath',
      '-ldflags',
      ['-s', '-w', ...component.ldflags].join(' '),
      '-o',
      // One package is written to its binary's name; several go to a directory,
      // each named after its package (which is the binary's name for these).
      component.packages.length === 1 ? join(staging, binaryName(component.packages[0] ?? '')) : `${staging}/`,
      ...component.packages,
    ];
    const code = await run('go', args, join(modulesDir, component.module), logPath);
    if (code !== 0) {
      throw new ClusterError(`Building ${component.module} ${component.version} failed (exit ${code}). See ${logPath}.`);
    }
    rmSync(target, { recursive: true, force: true });
    renameSync(staging, target);
    progress(`built ${component.module} in ${Math.round((Date.now() - started) / 1000)}s -> ${target}`);
  } finally {
    clearInterval(heartbeat);
    rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * A build killed before its cleanup leaves its staging directory (about 100 MB
 * for kubernetes). Those of builds still running, in another clone sharing the
 * cache, stay.
 */
function removeAbandonedStaging(target: string): void {
  if (!existsSync(dirname(target))) return;
  const prefix = `${basename(target)}.partial-`;
  for (const entry of readdirSync(dirname(target))) {
    if (!entry.startsWith(prefix)) continue;
    const pid = Number(entry.slice(prefix.length));
    if (!Number.isInteger(pid) || !isRunning(pid)) rmSync(join(dirname(target), entry), { recursive: true, force: true });
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function run(command: string, args: string[], cwd: string, logPath: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const log = createWriteStream(logPath);
    log.write(`$ (cd ${cwd} && ${command} ${args.join(' ')})\n`);
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, CGO_ENABLED: '0', GOWORK: 'off', GOFLAGS: '-buildvcs=false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    child.on('error', reject);
    child.on('close', (code) => log.end(() => resolve(code ?? 1)));
  });
}

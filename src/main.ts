// sluice: node dist/main.js [flags]. Wires configuration, logging, metrics, the
// API client, the caches and the reconcile loop, and leader election; stops
// cleanly on SIGTERM.
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { parseConfig, usage, type Config } from './config/config.ts';
import { Controller } from './controller/controller.ts';
import { ClusterApi } from './kubernetes/cluster-api.ts';
import { EventRecorder } from './kubernetes/events.ts';
import { loadKubeConfig } from './kubernetes/kubeconfig.ts';
import { LeaderElector } from './kubernetes/leader-election.ts';
import { serveEndpoints } from './telemetry/http-endpoints.ts';
import { createLogger } from './telemetry/logger.ts';
import { Metrics } from './telemetry/metrics.ts';

const serviceAccountNamespace = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

function leaseNamespace(config: Config): string {
  if (config.leaderElectionNamespace) return config.leaderElectionNamespace;
  if (process.env['POD_NAMESPACE']) return process.env['POD_NAMESPACE'];
  return existsSync(serviceAccountNamespace) ? readFileSync(serviceAccountNamespace, 'utf8').trim() : 'default';
}

function fail(message: string, code = 1): never {
  process.stderr.write(`sluice: ${message}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(usage);
    return;
  }
  const parsed = parseConfig(argv, process.env);
  if (!parsed.ok) fail(parsed.error, 2);
  const config = parsed.config;
  const logger = createLogger(config.logLevel);
  const identity = `${hostname()}_${process.pid}`;

  let kubeconfig;
  try {
    kubeconfig = loadKubeConfig(config.kubeconfig);
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err));
  }
  const metrics = new Metrics();
  const api = new ClusterApi(kubeconfig, { qps: config.kubeApiQps, burst: config.kubeApiBurst, observe: (r) => metrics.observeRequest(r) });
  const events = new EventRecorder(api, logger, identity, () => metrics.eventsDropped.inc());

  let elector: LeaderElector | undefined;
  const isLeader = () => (elector ? elector.isLeader : true);
  const controller = new Controller({ kubeconfig, api, config, logger, metrics, events, isLeader });

  let servers;
  try {
    servers = await serveEndpoints(
      { metricsAddress: config.metricsBindAddress, probeAddress: config.healthProbeBindAddress },
      metrics.registry,
      {
        healthy: () => controller.healthy,
        ready: () =>
          controller.synced
            ? { ready: true, detail: isLeader() ? 'ok: caches synced, leading' : 'ok: caches synced, standby' }
            : { ready: false, detail: 'caches not synced yet' },
      },
    );
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err));
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    controller.stop();
    await elector?.stop();
    servers.metrics?.close();
    servers.probes?.close();
    metrics.leader.set(0);
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  logger.info(
    { namespaces: config.namespaces.length > 0 ? config.namespaces : 'all', maxConcurrentRuns: config.maxConcurrentRuns, leaderElect: config.leaderElect },
    'starting',
  );
  await controller.start();

  if (config.leaderElect) {
    elector = new LeaderElector({
      api,
      namespace: leaseNamespace(config),
      name: config.leaderElectionId,
      identity,
      logger,
      onStartedLeading: () => {
        metrics.leader.set(1);
        controller.resyncAll();
      },
      onStoppedLeading: () => {
        // As controller-runtime does: a replica that lost the lease exits, and
        // starts again as a standby, with nothing half-done carried over.
        metrics.leader.set(0);
        logger.error('lost leadership; exiting');
        process.exit(1);
      },
    });
    elector.start();
  } else {
    metrics.leader.set(1);
    controller.resyncAll();
  }
}

main().catch((err: unknown) => fail(err instanceof Error ? (err.stack ?? err.message) : String(err)));

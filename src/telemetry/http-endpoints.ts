// /metrics on the metrics address, /healthz and /readyz on the health-probe
// address (one server when the two addresses are the same).
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

export interface Probes {
  /** The process works (its loop is not wedged). */
  healthy: () => boolean;
  /** Caches are synced; a leader admits, a standby waits ready to take over. */
  ready: () => { ready: boolean; detail: string };
}

type Handler = (path: string) => Promise<{ status: number; type: string; body: string }> | undefined;

function metricsHandler(registry: Registry): Handler {
  return (path) =>
    path === '/metrics'
      ? registry.metrics().then((body) => ({ status: 200, type: registry.contentType, body }))
      : undefined;
}

function probeHandler(probes: Probes): Handler {
  return (path) => {
    if (path === '/healthz') {
      const ok = probes.healthy();
      return Promise.resolve({ status: ok ? 200 : 500, type: 'text/plain', body: ok ? 'ok\n' : 'unhealthy\n' });
    }
    if (path === '/readyz') {
      const { ready, detail } = probes.ready();
      return Promise.resolve({ status: ready ? 200 : 503, type: 'text/plain', body: `${detail}\n` });
    }
    return undefined;
  };
}

/** Splits "host:port" (":8080" = every interface). */
export function parseBindAddress(address: string): { host: string | undefined; port: number } {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon).replace(/^\[|\]$/g, '');
  return { host: host === '' ? undefined : host, port: Number(address.slice(colon + 1)) };
}

function listen(address: string, handlers: Handler[]): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const handled = handlers.map((h) => h(path)).find((r) => r !== undefined);
    if (!handled) {
      res.writeHead(404).end('not found\n');
      return;
    }
    handled.then(
      (r) => res.writeHead(r.status, { 'content-type': r.type }).end(r.body),
      (err: unknown) => res.writeHead(500).end(`${String(err)}\n`),
    );
  });
  const { host, port } = parseBindAddress(address);
  return new Promise((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`cannot listen on ${address}: ${err.message}`)));
    server.listen(port, host, () => resolve(server));
  });
}

/** Starts the servers; "0" disables an address. Returns them for shutdown and for their ports. */
export async function serveEndpoints(
  options: { metricsAddress: string; probeAddress: string },
  registry: Registry,
  probes: Probes,
): Promise<{ metrics: Server | undefined; probes: Server | undefined }> {
  if (options.metricsAddress !== '0' && options.metricsAddress === options.probeAddress) {
    const both = await listen(options.metricsAddress, [metricsHandler(registry), probeHandler(probes)]);
    return { metrics: both, probes: both };
  }
  const metrics = options.metricsAddress === '0' ? undefined : await listen(options.metricsAddress, [metricsHandler(registry)]);
  const probeServer = options.probeAddress === '0' ? undefined : await listen(options.probeAddress, [probeHandler(probes)]);
  return { metrics, probes: probeServer };
}

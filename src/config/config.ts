// The operator's configuration: command-line flags, each also read from the
// environment (SLUICE_<FLAG_IN_CAPITALS>), validated with zod. A bad flag or value
// yields one message that names it; nothing starts.
import { parseArgs } from 'node:util';
import { z } from 'zod';

export const logLevels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

/** host:port as Go's net.Listen takes it; ":8080" means every interface, "0" disables. */
const bindAddress = z
  .string()
  .regex(/^(0|(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]*):[0-9]{1,5})$/, 'expected host:port (e.g. ":8080" or "127.0.0.1:8080"), or "0" to disable')
  .refine((v) => v === '0' || Number(v.slice(v.lastIndexOf(':') + 1)) <= 65535, 'port must be at most 65535');

const wholeNumber = (min: number) =>
  z.coerce
    .number({ error: 'expected a whole number' })
    .int({ error: 'expected a whole number' })
    .min(min, { error: `expected a whole number >= ${min}` });

const boolean = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0'])], { error: 'expected true or false' })
  .transform((v) => v === true || v === 'true' || v === '1');

const kubernetesName = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'expected a namespace name (lowercase letters, digits and "-")')
  .max(63);

const schema = z.object({
  kubeconfig: z.string().min(1).optional(),
  namespace: z.array(kubernetesName).default([]),
  'max-concurrent-runs': wholeNumber(0).default(0),
  'metrics-bind-address': bindAddress.default(':8080'),
  'health-probe-bind-address': bindAddress.default(':8081'),
  'leader-elect': boolean.default(false),
  'leader-election-namespace': kubernetesName.optional(),
  'leader-election-id': kubernetesName.default('sluice-leader'),
  'log-level': z.enum(logLevels, { error: `expected one of ${logLevels.join(', ')}` }).default('info'),
  'kube-api-qps': wholeNumber(1).default(50),
  'kube-api-burst': wholeNumber(1).default(100),
  'workflow-status-interval': z.string().regex(/^[0-9]+(ms|s|m)$/, 'expected a duration such as 500ms, 2s or 1m').default('2s'),
});

export interface Config {
  kubeconfig: string | undefined;
  /** Namespaces to watch; empty means all. */
  namespaces: string[];
  maxConcurrentRuns: number;
  metricsBindAddress: string;
  healthProbeBindAddress: string;
  leaderElect: boolean;
  leaderElectionNamespace: string | undefined;
  leaderElectionId: string;
  logLevel: (typeof logLevels)[number];
  kubeApiQps: number;
  kubeApiBurst: number;
  /** How often at most a Workflow's status counts are written, in milliseconds. */
  workflowStatusIntervalMs: number;
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; error: string };

type FlagName = keyof z.input<typeof schema>;
const flagNames = Object.keys(schema.shape) as FlagName[];
const booleanFlags = new Set<FlagName>(['leader-elect']);
const repeatableFlags = new Set<FlagName>(['namespace']);

export function environmentName(flag: string): string {
  return `SLUICE_${flag.toUpperCase().replaceAll('-', '_')}`;
}

function durationMs(text: string): number {
  const value = Number.parseInt(text, 10);
  if (text.endsWith('ms')) return value;
  return text.endsWith('m') ? value * 60_000 : value * 1000;
}

export const usage = `Usage: node dist/main.js [flags]

Every flag can also be set in the environment as SLUICE_<FLAG> (for example
SLUICE_MAX_CONCURRENT_RUNS=10); a flag wins over the environment.

  --kubeconfig PATH                  kubeconfig file (default: $KUBECONFIG, ~/.kube/config, then in-cluster)
  --namespace NAME                   watch only this namespace; repeat for several (env: comma-separated). Default: all
  --max-concurrent-runs N            runs running at once across every Workflow; 0 = unlimited (default 0)
  --metrics-bind-address ADDR        where /metrics listens, host:port or "0" to disable (default :8080)
  --health-probe-bind-address ADDR   where /healthz and /readyz listen (default :8081)
  --leader-elect[=BOOL]              elect a leader with a Lease, so several replicas are safe (default false)
  --leader-election-namespace NAME   namespace of the Lease (default: the pod's namespace, else "default")
  --leader-election-id NAME          name of the Lease (default sluice-leader)
  --log-level LEVEL                  ${logLevels.join(', ')} (default info)
  --kube-api-qps N                   sustained requests per second to the API server (default 50)
  --kube-api-burst N                 request burst above the sustained rate (default 100)
  --workflow-status-interval DUR     at most one Workflow status write per Workflow per interval (default 2s)
  --help                             print this help
`;

/** Parses argv (without node and script) and an environment. Pure: no process access. */
export function parseConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ConfigResult {
  // Boolean flags also take a value (--leader-elect=false), as Kubernetes tools'
  // flags do; node's parseArgs refuses that form, so it is taken out first.
  const booleanValues = new Map<string, string>();
  const args = argv.filter((arg) => {
    const match = /^--([a-z-]+)=(.*)$/s.exec(arg);
    if (!match?.[1] || !booleanFlags.has(match[1] as FlagName)) return true;
    booleanValues.set(match[1], match[2] ?? '');
    return false;
  });
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: Object.fromEntries(
        flagNames.map((name) => [
          name,
          { type: booleanFlags.has(name) ? ('boolean' as const) : ('string' as const), multiple: repeatableFlags.has(name) },
        ]),
      ),
    });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { ok: false, error: `${message.replace(/\. To specify.*$/s, '')}. Run with --help for the flags.` };
  }

  const raw: Record<string, unknown> = {};
  for (const name of flagNames) {
    const fromFlag = booleanValues.get(name) ?? parsed.values[name];
    const fromEnv = env[environmentName(name)];
    if (fromFlag !== undefined) raw[name] = fromFlag;
    else if (fromEnv !== undefined && fromEnv !== '') {
      raw[name] = repeatableFlags.has(name) ? fromEnv.split(',').map((s) => s.trim()).filter(Boolean) : fromEnv;
    }
  }
  raw['kubeconfig'] ??= env['KUBECONFIG'] || undefined;

  const result = schema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    const flag = String(issue?.path[0] ?? '');
    const source = parsed.values[flag as FlagName] !== undefined || booleanValues.has(flag) ? `--${flag}` : `${environmentName(flag)} (--${flag})`;
    const value = raw[flag];
    const shown = Array.isArray(value) ? JSON.stringify(value[Number(issue?.path[1] ?? 0)]) : JSON.stringify(value);
    return { ok: false, error: `invalid ${source} ${shown}: ${issue?.message ?? 'invalid value'}` };
  }
  const v = result.data;
  if (v['kube-api-burst'] < v['kube-api-qps']) {
    return { ok: false, error: `invalid --kube-api-burst ${v['kube-api-burst']}: must be at least --kube-api-qps (${v['kube-api-qps']})` };
  }
  return {
    ok: true,
    config: {
      kubeconfig: v.kubeconfig,
      namespaces: [...new Set(v.namespace)],
      maxConcurrentRuns: v['max-concurrent-runs'],
      metricsBindAddress: v['metrics-bind-address'],
      healthProbeBindAddress: v['health-probe-bind-address'],
      leaderElect: v['leader-elect'],
      leaderElectionNamespace: v['leader-election-namespace'],
      leaderElectionId: v['leader-election-id'],
      logLevel: v['log-level'],
      kubeApiQps: v['kube-api-qps'],
      kubeApiBurst: v['kube-api-burst'],
      workflowStatusIntervalMs: durationMs(v['workflow-status-interval']),
    },
  };
}

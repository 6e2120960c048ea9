import { describe, expect, it } from 'vitest';
import { parseConfig, type ConfigResult } from '../../src/config/config.ts';

function error(result: ConfigResult): string {
  if (result.ok) throw new Error(`expected an error, got ${JSON.stringify(result.config)}`);
  return result.error;
}

function ok(result: ConfigResult) {
  if (!result.ok) throw new Error(`expected a config, got ${result.error}`);
  return result.config;
}

describe('configuration', () => {
  it('has the documented defaults', () => {
    const result = parseConfig([], {});
    expect(result).toEqual({
      ok: true,
      config: {
        kubeconfig: undefined,
        namespaces: [],
        maxConcurrentRuns: 0,
        metricsBindAddress: ':8080',
        healthProbeBindAddress: ':8081',
        leaderElect: false,
        leaderElectionNamespace: undefined,
        leaderElectionId: 'sluice-leader',
        logLevel: 'info',
        kubeApiQps: 50,
        kubeApiBurst: 100,
        workflowStatusIntervalMs: 2000,
      },
    });
  });

  it('reads every flag, with --namespace repeatable', () => {
    const result = parseConfig(
      ['--kubeconfig', '/k', '--namespace', 'a', '--namespace=b', '--max-concurrent-runs', '10', '--metrics-bind-address', '127.0.0.1:0',
        '--health-probe-bind-address', '0', '--leader-elect', '--log-level', 'debug', '--kube-api-qps', '5', '--kube-api-burst', '5',
        '--workflow-status-interval', '500ms'],
      {},
    );
    expect(result.ok && result.config).toMatchObject({
      kubeconfig: '/k', namespaces: ['a', 'b'], maxConcurrentRuns: 10, metricsBindAddress: '127.0.0.1:0',
      healthProbeBindAddress: '0', leaderElect: true, logLevel: 'debug', kubeApiQps: 5, kubeApiBurst: 5, workflowStatusIntervalMs: 500,
    });
  });

  it('reads the environment, and a flag wins over it', () => {
    const env = { SLUICE_MAX_CONCURRENT_RUNS: '7', SLUICE_NAMESPACE: 'x, y', SLUICE_LEADER_ELECT: 'true', KUBECONFIG: '/from-env' };
    const fromEnv = parseConfig([], env);
    expect(fromEnv.ok && fromEnv.config).toMatchObject({ maxConcurrentRuns: 7, namespaces: ['x', 'y'], leaderElect: true, kubeconfig: '/from-env' });
    const flagWins = parseConfig(['--max-concurrent-runs', '3', '--kubeconfig', '/flag'], env);
    expect(flagWins.ok && flagWins.config).toMatchObject({ maxConcurrentRuns: 3, kubeconfig: '/flag' });
  });

  it.each([
    [['--max-concurrent-runs', 'ten'], /^invalid --max-concurrent-runs "ten": expected a whole number/],
    [['--max-concurrent-runs=-1'], /^invalid --max-concurrent-runs "-1": expected a whole number >= 0/],
    [['--max-concurrent-runs', '1.5'], /^invalid --max-concurrent-runs "1.5": expected a whole number/],
    [['--log-level', 'loud'], /^invalid --log-level "loud": expected one of trace, debug, info/],
    [['--metrics-bind-address', 'localhost'], /^invalid --metrics-bind-address "localhost": expected host:port/],
    [['--metrics-bind-address', ':99999'], /^invalid --metrics-bind-address ":99999": port must be at most 65535/],
    [['--namespace', 'Not_A_Name'], /^invalid --namespace "Not_A_Name": expected a namespace name/],
    [['--kube-api-qps', '100', '--kube-api-burst', '10'], /^invalid --kube-api-burst 10: must be at least --kube-api-qps/],
    [['--max-concurent-runs', '3'], /Unknown option '--max-concurent-runs'/],
    [['positional'], /Unexpected argument 'positional'/],
    [['--leader-elect=yes'], /^invalid --leader-elect "yes": expected true or false/],
  ])('refuses %j with a message naming it', (argv, message) => {
    expect(error(parseConfig(argv, {}))).toMatch(message);
  });

  it('takes a value for a boolean flag, as Kubernetes tools do', () => {
    expect(ok(parseConfig(['--leader-elect=true'], {})).leaderElect).toBe(true);
    expect(ok(parseConfig(['--leader-elect=false'], { SLUICE_LEADER_ELECT: 'true' })).leaderElect).toBe(false);
  });

  it('names the environment variable when the bad value came from it', () => {
    expect(error(parseConfig([], { SLUICE_MAX_CONCURRENT_RUNS: 'lots' }))).toMatch(
      /^invalid SLUICE_MAX_CONCURRENT_RUNS \(--max-concurrent-runs\) "lots"/,
    );
    expect(error(parseConfig([], { SLUICE_LEADER_ELECT: 'maybe' }))).toMatch(/^invalid SLUICE_LEADER_ELECT \(--leader-elect\) "maybe": expected true or false/);
  });
});

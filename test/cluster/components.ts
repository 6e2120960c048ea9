// The control-plane binaries: which Go module builds each, at which version, and
// where the built files are cached (outside the repository, keyed by version).
import { homedir } from 'node:os';
import { join } from 'node:path';

export const kubernetesVersion = 'v1.34.10';

export interface Component {
  /** Name of the wrapper module under test/cluster/modules/. */
  module: string;
  version: string;
  /** Main packages to build; each yields a binary named after its last path element. */
  packages: string[];
  ldflags: string[];
}

function versionFlags(pkg: string, gitVersion: string, major: string, minor: string): string[] {
  return [
    `-X ${pkg}.gitVersion=${gitVersion}`,
    `-X ${pkg}.gitMajor=${major}`,
    `-X ${pkg}.gitMinor=${minor}`,
    `-X ${pkg}.gitTreeState=clean`,
    `-X ${pkg}.buildDate=1970-01-01T00:00:00Z`,
  ];
}

const [kubeMajor = '1', kubeMinor = '0'] = kubernetesVersion.slice(1).split('.');

export const components: Component[] = [
  {
    module: 'etcd',
    version: 'v3.6.14',
    packages: ['go.etcd.io/etcd/server/v3'],
    ldflags: [],
  },
  {
    module: 'kubernetes',
    version: kubernetesVersion,
    packages: ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl'].map(
      (cmd) => `k8s.io/kubernetes/cmd/${cmd}`,
    ),
    // As hack/lib/version.sh sets them, so `--version` and discovery report the real version.
    ldflags: ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version'].flatMap((pkg) =>
      versionFlags(pkg, kubernetesVersion, kubeMajor, kubeMinor),
    ),
  },
  {
    module: 'kwok',
    version: 'v0.7.0',
    packages: ['sigs.k8s.io/kwok/cmd/kwok'],
    ldflags: [],
  },
  {
    module: 'helm',
    version: 'v3.19.5',
    packages: ['helm.sh/helm/v3/cmd/helm'],
    // Without these, `helm template` and `helm lint` assume Kubernetes 1.20.
    ldflags: [
      '-X helm.sh/helm/v3/internal/version.version=v3.19.5',
      '-X helm.sh/helm/v3/internal/version.gitTreeState=clean',
      ...['helm.sh/helm/v3/pkg/chartutil', 'helm.sh/helm/v3/pkg/lint/rules'].flatMap((pkg) => [
        `-X ${pkg}.k8sVersionMajor=${kubeMajor}`,
        `-X ${pkg}.k8sVersionMinor=${kubeMinor}`,
      ]),
    ],
  },
];

/** Binary name for a main package: etcd's module root builds `etcd`, the rest the last element. */
export function binaryName(pkg: string): string {
  if (pkg.startsWith('go.etcd.io/etcd/server')) return 'etcd';
  return pkg.slice(pkg.lastIndexOf('/') + 1);
}

export const binaries = components.flatMap((c) => c.packages.map(binaryName));

export function cacheRoot(): string {
  const explicit = process.env['SLUICE_CACHE_DIR'];
  if (explicit) return explicit;
  const xdg = process.env['XDG_CACHE_HOME'];
  return join(xdg && xdg.length > 0 ? xdg : join(homedir(), '.cache'), 'sluice');
}

export function componentDir(c: Component): string {
  return join(cacheRoot(), 'bin', `${c.module}-${c.version}`);
}

// npm run chart:sync: derives everything that is a copy or a rendering of another
// file, so that the sources stay single: the chart's CRDs (a copy of crds/), the
// plain manifests of deploy/ (the chart rendered for `kubectl apply`), and the
// README's table of Helm values (from the `# --` comments of values.yaml).
// test/chart/chart.test.ts fails when any of them is out of date.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isMap, isScalar, parseDocument, type Pair, type YAMLMap } from 'yaml';
import { ensureBinaries } from '../test/cluster/build.ts';
import { components } from '../test/cluster/components.ts';

const root = resolve(import.meta.dirname, '..');
const crdDir = join(root, 'crds');
const chartDir = join(root, 'charts/sluice');
export const chartCrdDir = join(chartDir, 'crds');
export const deployDir = join(root, 'deploy');
export const readmePath = join(root, 'README.md');

/** The namespace and release name the plain manifests are rendered for. */
const deployNamespace = 'sluice-system';
const deployRelease = 'sluice';

export const syncHint = 'Run `npm run chart:sync` and commit the result.';

const yamlFiles = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort() : []);

/** A CRD of crds/ without its header comment, which names the wrong way to regenerate a copy. */
function crdBody(file: string): string {
  return readFileSync(join(crdDir, file), 'utf8').replace(/^(#.*\n)+/, '');
}

const copyHeader = (file: string) =>
  `# Copied from crds/${file} (generated from the zod schemas in src/api) by \`npm run chart:sync\`; do not edit.\n`;

/** The chart's crds/: the files of crds/, each with a header saying where it comes from. */
export function chartCrds(): Map<string, string> {
  return new Map(yamlFiles(crdDir).map((file) => [file, `${copyHeader(file)}${crdBody(file)}`]));
}

/** The helm binary of the local control plane's toolset (built once, cached). */
export async function helmBinary(progress: (line: string) => void = () => undefined): Promise<string> {
  const helm = (await ensureBinaries(progress, components.filter((c) => c.module === 'helm')))['helm'];
  if (!helm) throw new Error('ensureBinaries returned no helm binary');
  return helm;
}

/** Runs helm; resolves its output, or throws with helm's own error message. */
export function runHelm(helm: string, args: string[]): string {
  const result = spawnSync(helm, args, { encoding: 'utf8', cwd: root });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`helm ${args.join(' ')} failed (${result.status}):\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

const namespaceManifest = `apiVersion: v1
kind: Namespace
metadata:
  name: ${deployNamespace}
  labels:
    app.kubernetes.io/name: sluice
    # The operator's pod meets the restricted Pod Security Standard; enforce it.
    pod-security.kubernetes.io/enforce: restricted
`;

/** deploy/: the CRDs, and the chart rendered with its defaults into sluice-system. */
export function deployManifests(helm: string): Map<string, string> {
  const crds = yamlFiles(crdDir).map((file) => `---\n# Source: crds/${file}\n${crdBody(file)}`);
  const rendered = runHelm(helm, ['template', deployRelease, 'charts/sluice', '--namespace', deployNamespace]);
  const header = (file: string, what: string) =>
    [
      `# deploy/${file}: ${what}`,
      '# Rendered by `npm run chart:sync`; do not edit. Install with',
      '#   kubectl apply -f deploy/crds.yaml && kubectl apply -f deploy/sluice.yaml',
      '',
    ].join('\n');
  return new Map([
    ['crds.yaml', `${header('crds.yaml', "sluice's CustomResourceDefinitions (crds/).")}${crds.join('')}`],
    [
      'sluice.yaml',
      `${header('sluice.yaml', `the operator: its Namespace, then \`helm template ${deployRelease} charts/sluice --namespace ${deployNamespace}\`.`)}---\n${namespaceManifest}${rendered}`,
    ],
  ]);
}

export interface ValueDoc {
  name: string;
  default: unknown;
  description: string;
}

/** A comment's text from its last `--` marker on, as one line. */
function docComment(comment: string | null | undefined): string | undefined {
  if (!comment) return undefined;
  const lines = comment.split('\n').map((l) => l.trim());
  const start = lines.findLastIndex((l) => l.startsWith('--'));
  if (start < 0) return undefined;
  return lines.slice(start).join(' ').replace(/^--\s*/, '').trim();
}

/**
 * Every value of values.yaml with its default and description. A `# --` comment
 * documents the key below it as a whole (with its children as its default); an
 * undocumented map is documented key by key; an undocumented leaf is an error.
 */
export function valueDocs(valuesYaml: string): ValueDoc[] {
  const doc = parseDocument(valuesYaml);
  if (doc.errors.length > 0) throw new Error(`values.yaml: ${doc.errors[0]?.message}`);
  const docs: ValueDoc[] = [];
  const walk = (map: YAMLMap, prefix: string) => {
    map.items.forEach((pair: Pair, index) => {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const name = `${prefix}${key}`;
      // The yaml parser attaches a comment above a block map's first key to the map.
      const comment = (isScalar(pair.key) ? pair.key.commentBefore : undefined) ?? (index === 0 ? map.commentBefore : undefined);
      const description = docComment(comment);
      if (description !== undefined) {
        docs.push({ name, default: doc.getIn(name.split('.')), description });
      } else if (isMap(pair.value)) {
        walk(pair.value, `${name}.`);
      } else {
        throw new Error(`charts/sluice/values.yaml: ${name} has no "# -- description" comment above it`);
      }
    });
  };
  if (!isMap(doc.contents)) throw new Error('values.yaml: expected a map');
  walk(doc.contents, '');
  return docs;
}

function asJson(value: unknown): unknown {
  return value !== null && typeof value === 'object' && 'toJSON' in value ? (value as { toJSON: () => unknown }).toJSON() : value;
}

const cell = (text: string) => text.replaceAll('|', '\\|');

export function valuesTable(): string {
  const rows = valueDocs(readFileSync(join(chartDir, 'values.yaml'), 'utf8')).map(
    (v) => `| \`${v.name}\` | \`${cell(JSON.stringify(asJson(v.default)))}\` | ${cell(v.description)} |`,
  );
  return ['| Value | Default | Description |', '|---|---|---|', ...rows].join('\n');
}

const tableStart = '<!-- values-table:start -->';
const tableEnd = '<!-- values-table:end -->';

const sectionIntro = [
  '## Configuration (Helm values)',
  '',
  'The chart in `charts/sluice` takes these values (`helm install sluice charts/sluice -n sluice-system --create-namespace --set maxConcurrentRuns=10`);',
  "`values.schema.json` rejects a value of the wrong type or range before anything is installed. `deploy/` holds the chart rendered with its defaults, for `kubectl apply`.",
  'Helm installs the CRDs with the chart but, as for every chart, never upgrades them: after an upgrade, `kubectl apply -f deploy/crds.yaml`.',
  '',
].join('\n');

/** The README with the table between its markers, or with the section appended if it has none. */
export function readmeWithValuesTable(readme: string, table: string): string {
  const start = readme.indexOf(tableStart);
  const end = readme.indexOf(tableEnd);
  if (start < 0 || end < start) return `${readme.replace(/\n*$/, '\n\n')}${sectionIntro}\n${tableStart}\n${table}\n${tableEnd}\n`;
  return `${readme.slice(0, start)}${tableStart}\n${table}\n${readme.slice(end)}`;
}

function writeIfChanged(path: string, content: string): void {
  if (existsSync(path) && readFileSync(path, 'utf8') === content) return;
  writeFileSync(path, content);
  console.log(`wrote ${path.slice(root.length + 1)}`);
}

async function main(): Promise<void> {
  const crds = chartCrds();
  mkdirSync(chartCrdDir, { recursive: true });
  for (const stale of yamlFiles(chartCrdDir).filter((f) => !crds.has(f))) {
    rmSync(join(chartCrdDir, stale));
    console.log(`removed charts/sluice/crds/${stale}`);
  }
  for (const [file, content] of crds) writeIfChanged(join(chartCrdDir, file), content);

  const helm = await helmBinary((line) => console.log(`[helm] ${line}`));
  mkdirSync(deployDir, { recursive: true });
  for (const [file, content] of deployManifests(helm)) writeIfChanged(join(deployDir, file), content);

  writeIfChanged(readmePath, readmeWithValuesTable(readFileSync(readmePath, 'utf8'), valuesTable()));
}

if (import.meta.main) {
  main().catch((err: unknown) => {
    console.error(`chart:sync: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}

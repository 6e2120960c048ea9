// What `npm run chart:sync` derives must match its sources: the chart's CRDs are
// crds/, deploy/ is the chart rendered, and the README's table is values.yaml.
// Each failure names the file and says how to fix it.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  chartCrdDir,
  chartCrds,
  deployDir,
  deployManifests,
  helmBinary,
  readmePath,
  readmeWithValuesTable,
  syncHint,
  valueDocs,
  valuesTable,
} from '../../scripts/sync-chart.ts';

let helm: string;

// A cold cache builds helm from source first.
beforeAll(async () => {
  helm = await helmBinary();
}, 20 * 60_000);

const read = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : '(missing)');

/** Where two texts first differ, so that a failure shows what changed and not a truncated string. */
function firstDifference(actual: string, expected: string): string {
  const [a, e] = [actual.split('\n'), expected.split('\n')];
  const line = a.findIndex((text, i) => text !== e[i]);
  const at = line < 0 ? a.length : line;
  return `first difference at line ${at + 1}: found ${JSON.stringify(a[at] ?? '(end of file)')}, expected ${JSON.stringify(e[at] ?? '(end of file)')}`;
}

function expectSame(path: string, expected: string, what: string): void {
  const actual = read(path);
  if (actual !== expected) expect.fail(`${what} (${firstDifference(actual, expected)}). ${syncHint}`);
}

describe('chart:sync outputs are up to date', () => {
  it('charts/sluice/crds holds exactly the CRDs of crds/', () => {
    const expected = chartCrds();
    expect(expected.size, 'crds/ has no CRDs').toBeGreaterThan(0);
    const present = readdirSync(chartCrdDir).filter((f) => f.endsWith('.yaml')).sort();
    expect(present, `charts/sluice/crds has other files than crds/. ${syncHint}`).toEqual([...expected.keys()].sort());
    for (const [file, content] of expected) {
      expectSame(join(chartCrdDir, file), content, `charts/sluice/crds/${file} differs from crds/${file}`);
    }
  });

  it('deploy/ is the chart rendered with its defaults', () => {
    for (const [file, content] of deployManifests(helm)) {
      expectSame(join(deployDir, file), content, `deploy/${file} differs from a fresh render of charts/sluice`);
    }
  });

  it("the README's table of Helm values matches values.yaml", () => {
    const expected = readmeWithValuesTable(readFileSync(readmePath, 'utf8'), valuesTable());
    expectSame(readmePath, expected, "README.md's table of Helm values is out of date with charts/sluice/values.yaml");
  });
});

describe('the values table', () => {
  it('documents a value with its `# --` comment, and a whole map as one value', () => {
    const docs = valueDocs(
      ['# -- Replicas.', 'replicas: 2', 'image:', '  # -- Repository.', '  repository: r', '# -- Resources.', 'resources:', '  limits: { cpu: "1" }', ''].join('\n'),
    );
    expect(docs).toEqual([
      { name: 'replicas', default: 2, description: 'Replicas.' },
      { name: 'image.repository', default: 'r', description: 'Repository.' },
      { name: 'resources', default: expect.anything(), description: 'Resources.' },
    ]);
  });

  it('refuses a value without a description, so none goes undocumented', () => {
    expect(() => valueDocs('# -- Documented.\na: 1\nb: 2\n')).toThrow(/b has no "# -- description"/);
  });

  it('replaces only what is between the markers', () => {
    const readme = 'intro\n<!-- values-table:start -->\nold\n<!-- values-table:end -->\nafter\n';
    expect(readmeWithValuesTable(readme, 'new')).toBe('intro\n<!-- values-table:start -->\nnew\n<!-- values-table:end -->\nafter\n');
  });
});

// Reads /metrics the way Prometheus does: a small parser of the text exposition
// format (0.0.4), so tests check what a scraper sees, not prom-client's objects.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export class Scrape {
  readonly samples: Sample[];
  /** Metric family name -> counter, gauge, histogram, summary or untyped. */
  readonly types: Map<string, string>;

  constructor(samples: Sample[], types: Map<string, string>) {
    this.samples = samples;
    this.types = types;
  }

  /** Samples of `name` whose labels include every pair in `labels`. */
  select(name: string, labels: Record<string, string> = {}): Sample[] {
    return this.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  }

  /** The value of the one sample of `name` matching `labels`: undefined if none, an error if several. */
  value(name: string, labels: Record<string, string> = {}): number | undefined {
    const found = this.select(name, labels);
    if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
    return found[0]?.value;
  }

  /** The sum over every sample of `name` matching `labels`; 0 when there are none. */
  sum(name: string, labels: Record<string, string> = {}): number {
    return this.select(name, labels).reduce((total, s) => total + s.value, 0);
  }
}

const sampleLine = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/;

/** As Prometheus parses values (Go's ParseFloat): NaN and Inf in any case; prom-client writes "Nan". */
function parseValue(text: string): number {
  const lower = text.toLowerCase();
  if (lower === 'nan') return NaN;
  if (lower === '+inf' || lower === 'inf') return Infinity;
  if (lower === '-inf') return -Infinity;
  const value = Number(text);
  if (Number.isNaN(value)) throw new Error(`not a sample value: ${text}`);
  return value;
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = text.trim();
  while (rest !== '') {
    const name = /^([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(rest);
    if (!name?.[1]) throw new Error(`bad labels: {${text}}`);
    let i = name[0].length;
    let value = '';
    for (; i < rest.length && rest[i] !== '"'; i++) {
      if (rest[i] === '\\') {
        i++;
        value += rest[i] === 'n' ? '\n' : (rest[i] ?? '');
      } else {
        value += rest[i];
      }
    }
    if (rest[i] !== '"') throw new Error(`unterminated label value: {${text}}`);
    labels[name[1]] = value;
    rest = rest.slice(i + 1).replace(/^\s*,\s*/, '');
  }
  return labels;
}

export function parsePrometheusText(text: string): Scrape {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      const type = /^# TYPE (\S+) (\S+)$/.exec(line);
      if (type?.[1] && type[2]) types.set(type[1], type[2]);
      continue;
    }
    const match = sampleLine.exec(line);
    if (!match?.[1] || match[3] === undefined) throw new Error(`not a sample line: ${line}`);
    samples.push({ name: match[1], labels: match[2] ? parseLabels(match[2]) : {}, value: parseValue(match[3]) });
  }
  return new Scrape(samples, types);
}

export async function scrape(url: string): Promise<Scrape> {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status}`);
  const contentType = res.headers.get('content-type') ?? '';
  if (!contentType.startsWith('text/plain')) throw new Error(`GET ${url}: content-type ${contentType}`);
  return parsePrometheusText(await res.text());
}

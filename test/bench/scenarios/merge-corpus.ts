// merge-corpus: the clean-merge rate of `cairn merge-file` vs `git merge-file` on a generated corpus of
// concurrent edits (different records, different fields of one record, inserts at the same place,
// delete vs edit), in four formats. A clean result is also checked against the expected data: a
// "clean" merge that is invalid or lost an edit is counted as wrong, not clean.
import fs from 'node:fs';
import path from 'node:path';
import type { Bench } from '../context.js';
import { runCommand } from '../measure.js';
import { Prng } from '../gen.js';
import type { ScenarioReport } from '../report.js';

export const title = 'clean-merge rate on a corpus of concurrent edits, cairn merge-file vs git merge-file';

const KINDS = ['different records', 'different fields', 'insert same place', 'delete vs edit'] as const;
const FORMATS = ['json (one record a line)', 'json (pretty)', 'jsonl', 'csv'] as const;
type Kind = (typeof KINDS)[number];
type Format = (typeof FORMATS)[number];
type Rec = Record<string, string | number>;

const FIELDS = ['name', 'city', 'qty', 'price', 'note'] as const;
const NUMERIC = new Set(['id', 'qty', 'price']);
const CITIES = ['Oslo', 'Lima', 'Perth', 'Quito', 'Hanoi', 'Accra', 'Riga'];

function record(rng: Prng, id: number): Rec {
  return {
    id,
    name: `item${rng.int(100000)}`,
    city: rng.pick(CITIES),
    qty: rng.int(1000),
    price: rng.int(100000) / 100,
    note: `n${rng.int(1e6)}`,
  };
}

function edit(rng: Prng, r: Rec, field: string, tag: string): Rec {
  return { ...r, [field]: typeof r[field] === 'number' ? 100000 + rng.int(1000) : `${tag}${rng.int(1000)}` };
}

/** One case: base, ours and theirs as record lists, and the data a correct merge holds. */
function makeCase(rng: Prng, kind: Kind): { base: Rec[]; ours: Rec[]; theirs: Rec[]; expected: Rec[] } {
  const n = 10 + rng.int(40);
  const base = Array.from({ length: n }, (_, i) => record(rng, i + 1));
  const ours = base.slice(),
    theirs = base.slice();
  const i = rng.int(n);
  let j = rng.int(n - 1);
  if (j >= i) j++;
  const f = rng.pick(FIELDS);
  switch (kind) {
    case 'different records':
      ours[i] = edit(rng, base[i]!, f, 'o');
      theirs[j] = edit(rng, base[j]!, rng.pick(FIELDS), 't');
      return { base, ours, theirs, expected: base.map((r, k) => (k === i ? ours[i]! : k === j ? theirs[j]! : r)) };
    case 'different fields': {
      let g = rng.pick(FIELDS);
      while (g === f) g = rng.pick(FIELDS);
      ours[i] = edit(rng, base[i]!, f, 'o');
      theirs[i] = edit(rng, base[i]!, g, 't');
      return { base, ours, theirs, expected: base.map((r, k) => (k === i ? { ...r, [f]: ours[i]![f]!, [g]: theirs[i]![g]! } : r)) };
    }
    case 'insert same place': {
      // After record i, or at the end half of the time (appends are the commonest concurrent insert).
      const at = rng.int(2) === 0 ? n : i + 1;
      const a = record(rng, n + 1),
        c = record(rng, n + 2);
      ours.splice(at, 0, a);
      theirs.splice(at, 0, c);
      return { base, ours, theirs, expected: [...base, a, c] };
    }
    case 'delete vs edit':
      ours.splice(i, 1);
      theirs[j] = edit(rng, base[j]!, f, 't');
      return { base, ours, theirs, expected: base.flatMap((r, k) => (k === i ? [] : k === j ? [theirs[j]!] : [r])) };
  }
}

function render(format: Format, recs: Rec[]): string {
  switch (format) {
    case 'json (one record a line)':
      return `[\n${recs.map((r) => `  ${JSON.stringify(r)}`).join(',\n')}\n]\n`;
    case 'json (pretty)':
      return `${JSON.stringify(recs, null, 2)}\n`;
    case 'jsonl':
      return recs.map((r) => `${JSON.stringify(r)}\n`).join('');
    case 'csv':
      return `${FIELDS.reduce((h, c) => `${h},${c}`, 'id')}\n${recs.map((r) => ['id', ...FIELDS].map((c) => String(r[c])).join(',')).join('\n')}\n`;
  }
}

/** The merged file read back as records, or null when it is not valid in its format. */
function parse(format: Format, text: string): Rec[] | null {
  try {
    if (format === 'jsonl')
      return text
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Rec);
    if (format !== 'csv') return JSON.parse(text) as Rec[];
    const [header, ...rows] = text.split('\n').filter((l) => l !== '');
    const cols = (header ?? '').split(',');
    if (cols.join(',') !== ['id', ...FIELDS].join(',') || text.includes('<<<<<<<')) return null;
    return rows.map((row) =>
      Object.fromEntries(row.split(',').map((v, k) => [cols[k]!, NUMERIC.has(cols[k]!) && v !== '' ? Number(v) : v])),
    );
  } catch {
    return null;
  }
}

/** Same records (order aside: where two inserts land is a choice). */
function sameData(got: Rec[], want: Rec[]): boolean {
  const key = (r: Rec) =>
    JSON.stringify(
      Object.keys(r)
        .sort()
        .map((k) => [k, r[k]]),
    );
  const a = got.map(key).sort(),
    b = want.map(key).sort();
  return a.length === b.length && a.every((x, k) => x === b[k]);
}

type Outcome = 'clean' | 'wrong' | 'conflict' | 'error';

export async function run(b: Bench, rep: ScenarioReport): Promise<void> {
  const dir = b.freshDir('merge-corpus');
  const rng = new Prng(`${b.opts.seed}/merge-corpus`);
  const peers = [...(b.cairnEnabled ? ['cairn'] : []), ...(b.gitEnabled ? ['git'] : [])] as ('cairn' | 'git')[];
  const tally = new Map<string, Record<Outcome, number>>();
  const count = (peer: string, kind: Kind, format: Format, o: Outcome) => {
    const k = `${peer}|${kind}|${format}`;
    const t = tally.get(k) ?? { clean: 0, wrong: 0, conflict: 0, error: 0 };
    t[o]++;
    tally.set(k, t);
  };
  const cases = b.scale.mergeCorpusCases;
  rep.params['cases per kind and format'] = cases;
  let n = 0;
  for (const kind of KINDS) {
    for (let c = 0; c < cases; c++) {
      const data = makeCase(rng, kind);
      for (const format of FORMATS) {
        const ext = format === 'jsonl' ? '.jsonl' : format === 'csv' ? '.csv' : '.json';
        const caseDir = path.join(dir, `case-${++n}`);
        fs.mkdirSync(caseDir);
        for (const side of ['base', 'ours', 'theirs'] as const)
          fs.writeFileSync(path.join(caseDir, side + ext), render(format, data[side]));
        for (const peer of peers) {
          const target = path.join(caseDir, `${peer}${ext}`);
          fs.copyFileSync(path.join(caseDir, `ours${ext}`), target);
          const spec =
            peer === 'cairn'
              ? b.cairn(['merge-file', '-q', `base${ext}`, target, `theirs${ext}`], caseDir)
              : b.gitCmd(['merge-file', '-q', target, `base${ext}`, `theirs${ext}`], caseDir);
          const r = await runCommand(spec);
          let o: Outcome;
          if (r.error || r.signal !== null || r.code === null || r.code >= (peer === 'cairn' ? 2 : 128)) o = 'error';
          else if (r.code !== 0) o = 'conflict';
          else {
            const got = parse(format, fs.readFileSync(target, 'utf8'));
            o = got !== null && sameData(got, data.expected) ? 'clean' : 'wrong';
          }
          if (o === 'error')
            rep.errors.push(
              `${peer} ${kind} / ${format} (${caseDir}): exit ${r.code} ${r.error ?? ''} ${r.stderrTail.trim().split('\n').pop() ?? ''}`,
            );
          count(peer, kind, format, o);
        }
      }
    }
  }
  report(b, rep, peers, tally, cases);
  if (rep.errors.length === 0) b.removeNow(dir);
}

function report(b: Bench, rep: ScenarioReport, peers: string[], tally: Map<string, Record<Outcome, number>>, cases: number): void {
  const pct = (x: number, of: number) => (of === 0 ? 0 : (100 * x) / of);
  const lines = ['', `   clean and correct merges, % of ${cases} cases each (wrong = exit 0 but invalid or missing an edit):`];
  const head = ['edit kind', 'format', ...peers.flatMap((p) => [`${p} clean`, `${p} wrong`])];
  const rows: string[][] = [];
  const totals = new Map<string, { clean: number; wrong: number; all: number }>();
  for (const kind of KINDS) {
    for (const format of FORMATS) {
      const row: string[] = [kind, format];
      for (const peer of peers) {
        const t = tally.get(`${peer}|${kind}|${format}`) ?? { clean: 0, wrong: 0, conflict: 0, error: 0 };
        const all = t.clean + t.wrong + t.conflict + t.error;
        row.push(`${pct(t.clean, all).toFixed(0)} %`, `${pct(t.wrong, all).toFixed(0)} %`);
        const tot = totals.get(peer) ?? { clean: 0, wrong: 0, all: 0 };
        totals.set(peer, { clean: tot.clean + t.clean, wrong: tot.wrong + t.wrong, all: tot.all + all });
        rep.add(peer, `clean %: ${kind}, ${format}`, '%', pct(t.clean, all));
      }
      rows.push(row);
    }
  }
  rows.push([
    'all',
    '',
    ...peers.flatMap((p) => [
      `${pct(totals.get(p)!.clean, totals.get(p)!.all).toFixed(1)} %`,
      `${pct(totals.get(p)!.wrong, totals.get(p)!.all).toFixed(1)} %`,
    ]),
  ]);
  for (const p of peers) {
    rep.add(p, 'clean %: all', '%', pct(totals.get(p)!.clean, totals.get(p)!.all));
    rep.add(p, 'wrong clean merges %: all', '%', pct(totals.get(p)!.wrong, totals.get(p)!.all));
  }
  const widths = head.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k]!.length)));
  const fmt = (r: string[]) => `   ${r.map((c, k) => c.padEnd(widths[k]!)).join('  ')}`;
  lines.push(fmt(head), ...rows.map(fmt));
  b.log(lines.join('\n'));
  rep.notes.push(
    `clean and correct merges over all ${KINDS.length * FORMATS.length * cases} cases: ${peers.map((p) => `${p} ${pct(totals.get(p)!.clean, totals.get(p)!.all).toFixed(1)} %`).join(', ')} (per kind and format in the table above and in the measurements).`,
  );
  rep.maxCheck('cairn clean merges that are wrong', ['cairn', 'wrong clean merges %: all'], 0, '%');
}

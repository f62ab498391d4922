// Results: per-scenario records, the console table, results/<scenario>.json and
// the markdown snippet for docs/BENCHMARKS.md.
import fs from 'node:fs';
import path from 'node:path';
import { median } from './measure.js';
import type { MachineInfo } from './tools.js';

export type Unit = 's' | 'ms' | 'bytes' | 'KiB' | '%' | 'count' | '/s' | 'MB/s';

export interface Measurement {
  peer: string;
  metric: string;
  unit: Unit;
  values: number[];
  median: number | null;
  failures: string[];
  /** Peak RSS (KiB) of each timed run, when measured. */
  peakRssKiB?: number[];
  note?: string;
}

export interface Check {
  name: string;
  /** "ratio": subject / reference <= limit; "max": subject <= limit, "min": subject >= limit (in subject's unit). */
  kind: 'ratio' | 'max' | 'min';
  subject: string;
  reference?: string;
  value: number | null;
  referenceValue?: number | null;
  ratio?: number | null;
  limit: number;
  unit: Unit;
  pass: boolean | null;
}

const KiB = 1024;
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export function fmtBytes(n: number): string {
  const abs = Math.abs(n);
  if (abs >= GiB) return `${(n / GiB).toFixed(2)} GiB`;
  if (abs >= MiB) return `${(n / MiB).toFixed(1)} MiB`;
  if (abs >= KiB) return `${(n / KiB).toFixed(1)} KiB`;
  return `${n} B`;
}

export function fmtSeconds(s: number): string {
  if (s >= 100) return `${s.toFixed(0)} s`;
  if (s >= 10) return `${s.toFixed(1)} s`;
  if (s >= 1) return `${s.toFixed(2)} s`;
  return `${(s * 1000).toFixed(0)} ms`;
}

export function fmtValue(v: number | null, unit: Unit): string {
  if (v === null) return 'n/a';
  switch (unit) {
    case 's':
      return fmtSeconds(v);
    case 'ms':
      return `${v.toFixed(v >= 100 ? 0 : 1)} ms`;
    case '/s':
      return `${v.toFixed(2)}/s`;
    case 'MB/s':
      return `${v.toFixed(1)} MB/s`;
    case 'bytes':
      return fmtBytes(v);
    case 'KiB':
      return fmtBytes(v * KiB);
    case '%':
      return `${v.toFixed(2)} %`;
    case 'count':
      return v.toLocaleString('en-US');
  }
}

function fmtRatio(r: number | null | undefined): string {
  return r === null || r === undefined ? 'n/a' : `${r.toFixed(2)}×`;
}

export class ScenarioReport {
  readonly measurements: Measurement[] = [];
  readonly checks: Check[] = [];
  readonly notes: string[] = [];
  readonly errors: string[] = [];
  readonly params: Record<string, string | number> = {};
  readonly startedAt = new Date().toISOString();
  seconds = 0;

  constructor(
    readonly scenario: string,
    readonly title: string,
  ) {}

  private entry(peer: string, metric: string, unit: Unit): Measurement {
    let m = this.measurements.find((x) => x.peer === peer && x.metric === metric);
    if (!m) {
      m = { peer, metric, unit, values: [], median: null, failures: [] };
      this.measurements.push(m);
    }
    return m;
  }

  /** Add one sample (a timed run, a size, ...). */
  add(peer: string, metric: string, unit: Unit, value: number, peakRssKiB?: number | null): void {
    const m = this.entry(peer, metric, unit);
    m.values.push(value);
    m.median = median(m.values);
    if (peakRssKiB !== undefined && peakRssKiB !== null) (m.peakRssKiB ??= []).push(peakRssKiB);
  }

  fail(peer: string, metric: string, unit: Unit, message: string): void {
    this.entry(peer, metric, unit).failures.push(message);
    this.errors.push(`${peer} ${metric}: ${message}`);
  }

  note(peer: string, metric: string, unit: Unit, note: string): void {
    this.entry(peer, metric, unit).note = note;
  }

  get(peer: string, metric: string): Measurement | undefined {
    return this.measurements.find((x) => x.peer === peer && x.metric === metric);
  }

  /** subject / reference <= limit (medians). */
  ratioCheck(name: string, subject: [string, string], reference: [string, string], limit: number): void {
    const s = this.get(...subject);
    const r = this.get(...reference);
    const value = s?.median ?? null;
    const referenceValue = r?.median ?? null;
    const ratio = value !== null && referenceValue !== null && referenceValue > 0 ? value / referenceValue : null;
    this.checks.push({
      name,
      kind: 'ratio',
      subject: subject.join(' '),
      reference: reference.join(' '),
      value,
      referenceValue,
      ratio,
      limit,
      unit: s?.unit ?? r?.unit ?? 's',
      pass: ratio === null ? null : ratio <= limit,
    });
  }

  /** subject >= limit (median, in the subject's unit). */
  minCheck(name: string, subject: [string, string], limit: number, unit: Unit): void {
    const value = this.get(...subject)?.median ?? null;
    this.checks.push({ name, kind: 'min', subject: subject.join(' '), value, limit, unit, pass: value === null ? null : value >= limit });
  }

  /** subject <= limit (median, in the subject's unit). */
  maxCheck(name: string, subject: [string, string], limit: number, unit: Unit): void {
    const value = this.get(...subject)?.median ?? null;
    this.checks.push({ name, kind: 'max', subject: subject.join(' '), value, limit, unit, pass: value === null ? null : value <= limit });
  }
}

function verdict(pass: boolean | null): string {
  return pass === null ? 'n/a' : pass ? 'PASS' : 'MISS';
}

function checkTarget(c: Check): string {
  if (c.kind === 'ratio') return `≤ ${c.limit}× ${c.reference?.split(' ')[0] ?? ''}`;
  return `${c.kind === 'min' ? '≥' : '≤'} ${fmtValue(c.limit, c.unit)}`;
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

/** The human table printed after each scenario. */
export function formatScenario(rep: ScenarioReport): string {
  const lines: string[] = [];
  lines.push('', `== ${rep.scenario}: ${rep.title}`);
  const params = Object.entries(rep.params).map(([k, v]) => `${k}=${v}`);
  if (params.length) lines.push(`   ${params.join(', ')}`);
  const rows = rep.measurements.map((m) => {
    const runs = m.values.length > 1 ? m.values.map((v) => fmtValue(v, m.unit)).join(', ') : '';
    const rss = m.peakRssKiB?.length ? `peak RSS ${fmtBytes((median(m.peakRssKiB) ?? 0) * KiB)}` : '';
    const failed = m.failures.length ? `FAILED ×${m.failures.length}` : '';
    return [
      `${m.peer}`,
      m.metric,
      fmtValue(m.median, m.unit),
      [runs && `runs: ${runs}`, rss, failed, m.note ?? ''].filter(Boolean).join('; '),
    ];
  });
  const w0 = Math.max(4, ...rows.map((r) => r[0]?.length ?? 0));
  const w1 = Math.max(6, ...rows.map((r) => r[1]?.length ?? 0));
  const w2 = Math.max(6, ...rows.map((r) => r[2]?.length ?? 0));
  lines.push(`   ${pad('peer', w0)}  ${pad('metric', w1)}  ${pad('median', w2)}  details`);
  for (const r of rows) lines.push(`   ${pad(r[0] ?? '', w0)}  ${pad(r[1] ?? '', w1)}  ${pad(r[2] ?? '', w2)}  ${r[3] ?? ''}`);
  for (const c of rep.checks) {
    const shown =
      c.kind === 'ratio'
        ? `${c.subject} / ${c.reference} = ${fmtRatio(c.ratio)} (${fmtValue(c.value, c.unit)} vs ${fmtValue(c.referenceValue ?? null, c.unit)})`
        : `${c.subject} = ${fmtValue(c.value, c.unit)}`;
    lines.push(`   ${verdict(c.pass)}  ${c.name}: ${shown}, target ${checkTarget(c)}`);
  }
  for (const n of rep.notes) lines.push(`   note: ${n}`);
  for (const e of rep.errors) lines.push(`   error: ${e}`);
  return lines.join('\n');
}

export interface RunInfo {
  machine: MachineInfo;
  quick: boolean;
  runs: number;
  seed: string;
}

export function writeScenarioJson(outDir: string, rep: ScenarioReport, info: RunInfo): string {
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `${rep.scenario}${info.quick ? '.quick' : ''}.json`);
  const doc = {
    schema: 1,
    scenario: rep.scenario,
    title: rep.title,
    date: info.machine.date,
    quick: info.quick,
    runs: info.runs,
    seed: info.seed,
    machine: info.machine,
    params: rep.params,
    startedAt: rep.startedAt,
    seconds: rep.seconds,
    measurements: rep.measurements,
    checks: rep.checks,
    notes: rep.notes,
    errors: rep.errors,
  };
  fs.writeFileSync(file, JSON.stringify(doc, null, 2) + '\n');
  return file;
}

export function machineLine(m: MachineInfo): string {
  return (
    `${m.cpu}, ${m.cores} cores, ${(m.ramBytes / GiB).toFixed(1)} GiB RAM, ${m.os}, bench dir on ${m.benchFs ?? '?'}, ` +
    `load ${m.loadAvg1} at start; ` +
    `Node ${m.node}, git ${m.git ?? 'n/a'}, cairn ${m.cairnVersion ?? 'n/a'}${m.cairnCommit ? ` (${m.cairnCommit})` : ''}`
  );
}

/** Markdown for docs/BENCHMARKS.md: targets table, then every measurement. */
export function markdown(reports: readonly ScenarioReport[], info: RunInfo): string {
  const md: string[] = [];
  const day = info.machine.date.slice(0, 10);
  md.push(`### ${day}${info.quick ? ' (quick mode: datasets ~20× smaller, indicative only)' : ''}`, '');
  md.push(`Machine: ${machineLine(info.machine)}. Medians of ${info.runs} runs.`, '');
  md.push('| Scenario | Check | cairn | Reference | Ratio | Target | Result |', '|---|---|---|---|---|---|---|');
  for (const rep of reports) {
    for (const c of rep.checks) {
      const ref = c.kind === 'ratio' ? `${c.reference} ${fmtValue(c.referenceValue ?? null, c.unit)}` : '';
      md.push(
        `| ${rep.scenario} | ${c.name} | ${fmtValue(c.value, c.unit)} | ${ref} | ${c.kind === 'ratio' ? fmtRatio(c.ratio) : ''} | ${checkTarget(c)} | ${verdict(c.pass)} |`,
      );
    }
  }
  md.push('', '| Scenario | Peer | Measure | Median | Runs | Peak RSS |', '|---|---|---|---|---|---|');
  for (const rep of reports) {
    for (const m of rep.measurements) {
      const runs = m.failures.length
        ? `failed (${m.failures.length})`
        : m.values.length > 1
          ? m.values.map((v) => fmtValue(v, m.unit)).join(', ')
          : '';
      const rss = m.peakRssKiB?.length ? fmtBytes((median(m.peakRssKiB) ?? 0) * KiB) : '';
      md.push(`| ${rep.scenario} | ${m.peer} | ${m.metric} | ${fmtValue(m.median, m.unit)} | ${runs} | ${rss} |`);
    }
  }
  const params = reports.filter((r) => Object.keys(r.params).length > 0);
  if (params.length) {
    md.push('');
    for (const rep of params) {
      md.push(
        `- ${rep.scenario}: ${Object.entries(rep.params)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ')}`,
      );
    }
  }
  return md.join('\n') + '\n';
}

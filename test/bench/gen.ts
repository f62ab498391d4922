// Deterministic data generators. Everything is derived from a seed string, so two
// runs (or two machines) with the same seed and scale produce identical bytes.
// Files are written in bounded blocks: nothing large is ever held in memory.
import { createCipheriv, createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** sfc32: small, fast, good-enough PRNG for test data (not for crypto). */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: string) {
    const h = createHash('sha256').update(seed).digest();
    this.a = h.readUInt32LE(0);
    this.b = h.readUInt32LE(4);
    this.c = h.readUInt32LE(8);
    this.d = h.readUInt32LE(12) | 1;
    for (let i = 0; i < 16; i++) this.u32();
  }

  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform float in [0, 1). */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return n <= 4294967296 ? Math.floor(this.float() * n) : Math.floor((this.u32() * 4294967296 + this.u32()) % n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
}

const WORDS = [
  'alpha',
  'birch',
  'cedar',
  'delta',
  'ember',
  'fjord',
  'gale',
  'harbor',
  'iris',
  'juniper',
  'kestrel',
  'lagoon',
  'meadow',
  'nimbus',
  'onyx',
  'prairie',
  'quartz',
  'raven',
  'sierra',
  'tundra',
  'umber',
  'valley',
  'willow',
  'xenon',
  'yarrow',
  'zephyr',
  'basalt',
  'canyon',
  'dune',
  'estuary',
  'glacier',
  'heath',
  'inlet',
  'karst',
  'ledge',
  'moraine',
  'oasis',
  'pampas',
  'ridge',
  'savanna',
  'talus',
  'upland',
  'veldt',
  'wadi',
  'atoll',
  'bluff',
  'cove',
  'delta',
  'esker',
  'fen',
  'gulch',
  'hummock',
] as const;
const CITIES = ['Oslo', 'Lima', 'Perth', 'Quito', 'Hanoi', 'Accra', 'Riga', 'Cusco', 'Dakar', 'Turku', 'Bergen', 'Sucre'] as const;
const DOMAINS = ['example.com', 'example.org', 'example.net', 'test.invalid'] as const;

function words(rng: Prng, n: number): string {
  let s = rng.pick(WORDS) as string;
  for (let i = 1; i < n; i++) s += ' ' + rng.pick(WORDS);
  return s;
}

const PAD2 = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const PAD3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

/** An ISO-8601 UTC time in 2020–2024 (days 1–28: no calendar needed). */
function isoTime(rng: Prng): string {
  return (
    `${2020 + rng.int(5)}-${PAD2[1 + rng.int(12)]}-${PAD2[1 + rng.int(28)]}` +
    `T${PAD2[rng.int(24)]}:${PAD2[rng.int(60)]}:${PAD2[rng.int(60)]}.${PAD3[rng.int(1000)]}Z`
  );
}

/** A decimal in [0, whole) with three fraction digits, without toFixed. */
function decimal3(rng: Prng, whole: number): string {
  return `${rng.int(whole)}.${PAD3[rng.int(1000)]}`;
}

/** One JSON Lines record (ASCII only, ends with "\n"), ~150–300 bytes. */
export function jsonlRecord(rng: Prng, id: number): string {
  const w1 = rng.pick(WORDS);
  const w2 = rng.pick(WORDS);
  let tags = `"${rng.pick(WORDS)}"`;
  for (let i = rng.int(3); i > 0; i--) tags += `,"${rng.pick(WORDS)}"`;
  return (
    `{"id":${id},"user":"${w1}${rng.int(10000)}","email":"${w1}.${w2}@${rng.pick(DOMAINS)}",` +
    `"score":${decimal3(rng, 1000)},"count":${rng.int(1000000)},"active":${rng.int(2) === 1},` +
    `"city":"${rng.pick(CITIES)}","tags":[${tags}],"ts":"${isoTime(rng)}",` +
    `"note":"${words(rng, 2 + rng.int(14))}"}\n`
  );
}

function writeAll(fd: number, b: Buffer): void {
  for (let off = 0; off < b.length;) off += fs.writeSync(fd, b, off, b.length - off);
}

/** Buffered writer on a file descriptor: flushes every ~1 MiB. */
class BlockWriter {
  private parts: string[] = [];
  private pending = 0;
  bytes = 0;
  constructor(private readonly fd: number) {}
  write(s: string): void {
    this.parts.push(s);
    this.pending += s.length; // ASCII only: length == bytes
    this.bytes += s.length;
    if (this.pending >= 1 << 20) this.flush();
  }
  writeBuffer(b: Buffer): void {
    this.flush();
    writeAll(this.fd, b);
    this.bytes += b.length;
  }
  flush(): void {
    if (this.pending === 0) return;
    writeAll(this.fd, Buffer.from(this.parts.join(''), 'latin1'));
    this.parts = [];
    this.pending = 0;
  }
}

function withFile<T>(file: string, fn: (w: BlockWriter) => T): T {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const fd = fs.openSync(file, 'wx');
  try {
    const w = new BlockWriter(fd);
    const out = fn(w);
    w.flush();
    return out;
  } finally {
    fs.closeSync(fd);
  }
}

/** Append JSON Lines records with ids from `firstId` until at least `bytes` were written. */
function writeJsonl(w: BlockWriter, rng: Prng, bytes: number, firstId: number): number {
  const start = w.bytes;
  let id = firstId;
  while (w.bytes - start < bytes) w.write(jsonlRecord(rng, id++));
  return id - firstId;
}

/** Pseudo-random, incompressible bytes: an AES-256-CTR keystream keyed by the seed. */
function writeRandom(w: BlockWriter, seed: string, bytes: number): void {
  const key = createHash('sha256')
    .update('key:' + seed)
    .digest();
  const iv = createHash('sha256')
    .update('iv:' + seed)
    .digest()
    .subarray(0, 16);
  const cipher = createCipheriv('aes-256-ctr', key, iv);
  const zeros = Buffer.alloc(1 << 20);
  let left = bytes;
  while (left > 0) {
    const n = Math.min(left, zeros.length);
    w.writeBuffer(cipher.update(n === zeros.length ? zeros : zeros.subarray(0, n)));
    left -= n;
  }
}

export function genRandomFile(file: string, bytes: number, seed: string): number {
  return withFile(file, (w) => {
    writeRandom(w, seed, bytes);
    return w.bytes;
  });
}

export interface JsonlInfo {
  bytes: number;
  records: number;
}

export function genJsonlFile(file: string, bytes: number, seed: string): JsonlInfo {
  return withFile(file, (w) => {
    const records = writeJsonl(w, new Prng(seed), bytes, 0);
    return { bytes: w.bytes, records };
  });
}

/** A big file alternating random segments and JSON Lines segments. */
export function genMixedFile(file: string, bytes: number, seed: string, segment: number): number {
  return withFile(file, (w) => {
    const rng = new Prng(seed);
    let i = 0;
    let id = 0;
    while (w.bytes < bytes) {
      const n = Math.min(segment, bytes - w.bytes);
      if (i % 2 === 0) writeRandom(w, `${seed}/${i}`, n);
      else id += writeJsonl(w, rng, n, id);
      i++;
    }
    return w.bytes;
  });
}

// ---------------------------------------------------------------------------
// Many small files

function smallCsv(rng: Prng, target: number): string {
  let s = 'id,name,city,lat,lon,value,flag,updated\n';
  let i = 0;
  while (s.length < target) {
    s +=
      `${i++},${rng.pick(WORDS)}-${rng.int(1000)},${rng.pick(CITIES)},${(rng.float() * 180 - 90).toFixed(5)},` +
      `${(rng.float() * 360 - 180).toFixed(5)},${(rng.float() * 1e4).toFixed(2)},${rng.int(2) ? 'true' : 'false'},${isoTime(rng)}\n`;
  }
  return s;
}

function smallJson(rng: Prng, target: number): string {
  const items: string[] = [];
  let size = 120;
  while (size < target) {
    const item =
      `    {"id": ${rng.int(1e6)}, "label": "${words(rng, 1 + rng.int(3))}", "value": ${(rng.float() * 100).toFixed(4)}, ` +
      `"ok": ${rng.int(2) === 1}}`;
    items.push(item);
    size += item.length + 2;
  }
  return (
    `{\n  "source": "${rng.pick(WORDS)}/${rng.pick(WORDS)}",\n  "generated": "${isoTime(rng)}",\n` +
    `  "version": ${rng.int(50)},\n  "items": [\n${items.join(',\n')}\n  ]\n}\n`
  );
}

function smallJsonl(rng: Prng, target: number): string {
  let s = '';
  let id = rng.int(1e6);
  while (s.length < target) s += jsonlRecord(rng, id++);
  return s;
}

export interface TreeShape {
  dirs: number;
  subdirs: number;
  files: number;
}

export interface TreeInfo {
  files: number;
  bytes: number;
}

/** dirs × subdirs × files small files (~0.6–1.5 KiB of CSV, JSON or JSON Lines text). */
export function genSmallTree(root: string, shape: TreeShape, seed: string): TreeInfo {
  const rng = new Prng(seed);
  let files = 0;
  let bytes = 0;
  const pad = (n: number, width: number): string => String(n).padStart(width, '0');
  for (let d = 0; d < shape.dirs; d++) {
    for (let s = 0; s < shape.subdirs; s++) {
      const dir = path.join(root, `d${pad(d, 3)}`, `s${pad(s, 2)}`);
      fs.mkdirSync(dir, { recursive: true });
      for (let f = 0; f < shape.files; f++) {
        const target = 600 + rng.int(900);
        const kind = rng.int(3);
        const text = kind === 0 ? smallCsv(rng, target) : kind === 1 ? smallJson(rng, target) : smallJsonl(rng, target);
        const ext = kind === 0 ? 'csv' : kind === 1 ? 'json' : 'jsonl';
        fs.writeFileSync(path.join(dir, `f${pad(f, 3)}.${ext}`), text, { flag: 'wx' });
        files += 1;
        bytes += text.length;
      }
    }
  }
  return { files, bytes };
}

// ---------------------------------------------------------------------------
// Editing a JSON Lines file

export interface EditInfo {
  bytes: number;
  edited: number;
  appended: number;
}

/**
 * Stream `src` (a file from genJsonlFile with `records` lines) into `dst`, changing
 * the "score" and "note" values of `edits` records at random positions (the record
 * length changes too), then appending `appendRecords` new records.
 */
export function deriveEditedJsonl(src: string, dst: string, records: number, edits: number, appendRecords: number, seed: string): EditInfo {
  const rng = new Prng(seed);
  const targets = new Set<number>();
  while (targets.size < Math.min(edits, records)) targets.add(rng.int(records));
  const inFd = fs.openSync(src, 'r');
  try {
    return withFile(dst, (w) => {
      const buf = Buffer.alloc(1 << 20);
      let carry = Buffer.alloc(0);
      let line = 0;
      let edited = 0;
      for (;;) {
        const n = fs.readSync(inFd, buf, 0, buf.length, null);
        if (n === 0) break;
        const data = carry.length > 0 ? Buffer.concat([carry, buf.subarray(0, n)]) : buf.subarray(0, n);
        let start = 0;
        let copyFrom = 0;
        for (let nl = data.indexOf(10, start); nl !== -1; nl = data.indexOf(10, start)) {
          if (targets.has(line)) {
            if (start > copyFrom) w.writeBuffer(data.subarray(copyFrom, start));
            const rec = JSON.parse(data.subarray(start, nl).toString('utf8')) as Record<string, unknown>;
            rec['score'] = Number((rng.float() * 1e6).toFixed(2));
            rec['note'] = `edited: ${words(rng, 1 + rng.int(20))}`;
            w.write(JSON.stringify(rec) + '\n');
            w.flush();
            edited += 1;
            copyFrom = nl + 1;
          }
          start = nl + 1;
          line += 1;
        }
        if (start > copyFrom) w.writeBuffer(data.subarray(copyFrom, start));
        carry = Buffer.from(data.subarray(start));
      }
      if (carry.length > 0) w.writeBuffer(carry);
      for (let i = 0; i < appendRecords; i++) w.write(jsonlRecord(rng, records + i));
      return { bytes: w.bytes, edited, appended: appendRecords };
    });
  } finally {
    fs.closeSync(inFd);
  }
}

// A deliberately hostile cairn protocol server for client fault tests: node:http on 127.0.0.1,
// objects held in memory and encoded here byte by byte (docs/FORMAT.md), honest by default, with
// any endpoint replaceable by an attack. Nothing here uses cairn's own encoders, so a tree the
// encoder would refuse ('..', '.cairn', 'a/b') can still be served, hashed correctly.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type FakeType = 'chunk' | 'file' | 'tree' | 'commit';
const TYPE_CODE: Record<FakeType, number> = { chunk: 0, file: 1, tree: 2, commit: 3 };
const KIND_CODE = { file: 0, exec: 1, symlink: 2, tree: 3 } as const;

export interface FakeObject {
  id: string;
  type: FakeType;
  body: Buffer;
}

export interface FakeEntry {
  name: string;
  kind: keyof typeof KIND_CODE;
  id: string;
  size: number;
}

export function hashOf(type: FakeType, body: Buffer): string {
  return createHash('sha256').update(`${type} ${body.length}\0`, 'latin1').update(body).digest('hex');
}

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}

/** Objects built by hand, children before parents (the order an honest sender streams them in). */
export class ObjectSet {
  readonly list: FakeObject[] = [];
  readonly byId = new Map<string, FakeObject>();

  add(type: FakeType, body: Buffer): string {
    const id = hashOf(type, body);
    if (!this.byId.has(id)) {
      const o = { id, type, body };
      this.list.push(o);
      this.byId.set(id, o);
    }
    return id;
  }

  /** A file object holding `text` inline (version 1, kind 0, the bytes). */
  file(text: string): string {
    return this.add('file', Buffer.concat([Buffer.from([1, 0]), Buffer.from(text)]));
  }

  chunk(bytes: Buffer): string {
    return this.add('chunk', bytes);
  }

  /**
   * A chunked file object (version 1, kind 1, total, count, then id and size per chunk) exactly as
   * given: the sizes may lie about the chunks, and `total` defaults to their sum (so it decodes).
   */
  chunkedFile(chunks: readonly { id: string; size: number }[], total = chunks.reduce((s, c) => s + c.size, 0)): string {
    const parts: Buffer[] = [Buffer.from([1, 1]), varint(total), varint(chunks.length)];
    for (const c of chunks) parts.push(Buffer.from(c.id, 'hex'), varint(c.size));
    return this.add('file', Buffer.concat(parts));
  }

  /** A tree body exactly as given, entries in the order given: names are not checked. */
  tree(entries: readonly FakeEntry[]): string {
    const parts: Buffer[] = [Buffer.from([1]), varint(entries.length)];
    for (const e of entries) {
      const name = Buffer.from(e.name, 'utf8');
      parts.push(Buffer.from([KIND_CODE[e.kind]]), varint(name.length), name, Buffer.from(e.id, 'hex'), varint(e.size));
    }
    return this.add('tree', Buffer.concat(parts));
  }

  commit(tree: string, parents: readonly string[], message: string, time = 1_700_000_000_000): string {
    let s = `tree ${tree}\n`;
    for (const p of parents) s += `parent ${p}\n`;
    s += `author Evil <evil@example.com> ${time} +0000\n\n${message}`;
    return this.add('commit', Buffer.from(s, 'utf8'));
  }
}

export interface FakeRequest {
  req: IncomingMessage;
  res: ServerResponse;
  endpoint: string;
  body: Buffer;
  remote: FakeRemote;
}

/** An attack: replaces one endpoint's answer. */
export type Attack = (r: FakeRequest) => void | Promise<void>;

export interface FakeRemote {
  url: string;
  objects: ObjectSet;
  refs: { name: string; id: string }[];
  head: string | null;
  attacks: Partial<Record<string, Attack>>;
  /** Endpoints requested so far, in order. */
  seen: string[];
  /** Encodes one wire record (38-byte header: id, type, compression 0, uint32 length; then the body). */
  record(o: FakeObject, lengthOverride?: number): Buffer;
  /** The stream an honest server sends for `ids`: magic, records, end record. */
  honestStream(ids: readonly string[]): Buffer;
  close(): Promise<void>;
}

export const MAGIC = Buffer.from('CAIRNWS1', 'latin1');

export function recordBytes(id: string, typeCode: number, body: Buffer, length = body.length): Buffer {
  const h = Buffer.alloc(38);
  h.write(id, 0, 32, 'hex');
  h[32] = typeCode;
  h[33] = 0;
  h.writeUInt32BE(length, 34);
  return Buffer.concat([h, body]);
}

export function endBytes(count: number): Buffer {
  const h = Buffer.alloc(38);
  h[32] = 0xff;
  h.writeUInt32BE(count, 34);
  return h;
}

export function idsOf(buf: Buffer): string[] {
  const out: string[] = [];
  for (let i = 0; i + 32 <= buf.length; i += 32) out.push(buf.toString('hex', i, i + 32));
  return out;
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': body.length });
  res.end(body);
}

export async function startFakeRemote(
  objects: ObjectSet,
  refs: { name: string; id: string }[],
  head: string | null = 'refs/heads/main',
): Promise<FakeRemote> {
  const sockets = new Set<Socket>();
  const fake: FakeRemote = {
    url: '',
    objects,
    refs,
    head,
    attacks: {},
    seen: [],
    record: (o, len) => recordBytes(o.id, TYPE_CODE[o.type], o.body, len),
    honestStream: (ids) => {
      const recs = ids.map((id) => {
        const o = objects.byId.get(id);
        if (o === undefined) throw new Error(`fake remote has no object ${id}`);
        return fake.record(o);
      });
      return Buffer.concat([MAGIC, ...recs, endBytes(recs.length)]);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const honest: Record<string, Attack> = {
    refs: ({ res, remote }) => sendJson(res, 200, { version: 1, head: remote.head, refs: remote.refs }),
    // Lists every object it holds, children first; the client asks only for what it lacks.
    'fetch-list': ({ res, remote }) => {
      const ids = Buffer.concat(remote.objects.list.map((o) => Buffer.from(o.id, 'hex')));
      res.writeHead(200, { 'content-type': 'application/x-cairn-ids', 'x-cairn-commits': '1' });
      res.end(ids);
    },
    'fetch-objects': ({ res, body, remote }) => {
      res.writeHead(200, { 'content-type': 'application/x-cairn-objects' });
      res.end(remote.honestStream(idsOf(body)));
    },
  };
  const server: Server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const m = /\/v1\/([a-z-]+)$/.exec(new URL(req.url ?? '/', 'http://x').pathname);
      const endpoint = m?.[1] ?? 'other';
      fake.seen.push(endpoint);
      const handler = fake.attacks[endpoint] ?? honest[endpoint];
      if (handler === undefined) return sendJson(res, 404, { error: { code: 'NOT_FOUND', message: 'no such endpoint' } });
      void Promise.resolve(handler({ req, res, endpoint, body: Buffer.concat(parts), remote: fake })).catch(() => res.destroy());
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/evil`;
  return fake;
}

// ---- Hostile content scenarios (issue 9) ----

/**
 * A refusal whose message tries to drive the terminal: clear screen, an OSC title, a bell, a CR
 * that rewinds the line and a forged "error:" line after a LF.
 */
export const TERMINAL_ESCAPES = '\u001b[2J\u001b]0;owned\u0007\rfine\nerror: forged line \u001b[31mred\u009b1m';

/** Answers every request with a 403 whose message (and data) hold TERMINAL_ESCAPES. */
export const escapesInError: Attack = ({ res }) =>
  sendJson(res, 403, {
    error: { code: 'REJECTED', message: `denied ${TERMINAL_ESCAPES}`, data: { reason: 'auth', note: TERMINAL_ESCAPES } },
  });

/** Ref names git's rules refuse, as a hostile server would advertise them beside a valid main. */
export const REFUSED_REF_NAMES = [
  'refs/heads/-x',
  'refs/heads/--upload-pack=evil',
  'refs/heads/a..b',
  'refs/heads/a@{0}',
  'refs/heads/x.lock',
  'refs/heads/HEAD',
  'refs/heads/@',
  'refs/heads/.hidden',
  'refs/heads/tab\there',
  'refs/heads/esc\u001b[2J',
  'refs/tags/-t',
  `refs/heads/${'n'.repeat(300)}`, // over cairn's 200-character limit, within the answer's 1024
];

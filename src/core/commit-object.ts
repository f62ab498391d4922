// The `commit` object: UTF-8 text, git-like so it reads well in `cairn cat-object`, but strict:
// one canonical form per commit so ids are reproducible. Format: docs/FORMAT.md §8.
import { BadFormatError, quoteForMessage } from '../errors.js';
import { isObjectId, type ObjectId } from './hash.js';

export interface Person {
  name: string;
  email: string;
}

export interface Commit {
  tree: ObjectId;
  parents: ObjectId[];
  author: Person;
  /** Milliseconds since the Unix epoch, UTC. */
  time: number;
  /** Author's offset from UTC in minutes (east positive), for display only. */
  tzOffset: number;
  message: string;
  /** Optional string metadata; keys sorted on encode. */
  meta: Record<string, string>;
}

const PERSON_BAD = /[<>\n\0]/;
/** A UTF-16 surrogate without its partner: UTF-8 cannot carry it (Buffer.from would write U+FFFD). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const META_KEY = /^[a-z][a-z0-9-]{0,63}$/;

export function encodeCommit(c: Commit): Buffer {
  if (!isObjectId(c.tree)) throw new BadFormatError('commit', `bad tree id ${c.tree}`);
  for (const p of c.parents) if (!isObjectId(p)) throw new BadFormatError('commit', `bad parent id ${p}`);
  if (PERSON_BAD.test(c.author.name) || PERSON_BAD.test(c.author.email)) {
    throw new BadFormatError('commit', 'author name and email may not contain <, >, newline or NUL');
  }
  if (!Number.isSafeInteger(c.time) || !Number.isInteger(c.tzOffset) || Math.abs(c.tzOffset) > 24 * 60) {
    throw new BadFormatError('commit', 'bad time or time zone');
  }
  if (c.message.includes('\0')) throw new BadFormatError('commit', 'message may not contain NUL');
  if (LONE_SURROGATE.test(c.message) || LONE_SURROGATE.test(c.author.name) || LONE_SURROGATE.test(c.author.email)) {
    throw new BadFormatError('commit', 'author and message must be valid Unicode (a lone surrogate cannot be stored)');
  }
  let s = `tree ${c.tree}\n`;
  for (const p of c.parents) s += `parent ${p}\n`;
  s += `author ${c.author.name.trim()} <${c.author.email.trim()}> ${c.time} ${formatTz(c.tzOffset)}\n`;
  for (const key of Object.keys(c.meta).sort()) {
    if (!META_KEY.test(key)) throw new BadFormatError('commit', `bad metadata key '${quoteForMessage(key)}'`);
    s += `meta ${key} ${JSON.stringify(c.meta[key])}\n`;
  }
  s += `\n${c.message}`;
  return Buffer.from(s, 'utf8');
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function decodeCommit(body: Buffer, what = 'commit object'): Commit {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw new BadFormatError(what, 'not valid UTF-8');
  }
  const blank = text.indexOf('\n\n');
  if (blank < 0) throw new BadFormatError(what, 'no message separator');
  const lines = text.slice(0, blank).split('\n');
  const message = text.slice(blank + 2);
  let i = 0;
  const tree = /^tree ([0-9a-f]{64})$/.exec(lines[i++] ?? '')?.[1];
  if (tree === undefined) throw new BadFormatError(what, 'missing tree line');
  const parents: ObjectId[] = [];
  let m: RegExpExecArray | null;
  while ((m = /^parent ([0-9a-f]{64})$/.exec(lines[i] ?? '')) !== null) {
    parents.push(m[1]!);
    i++;
  }
  const am = /^author ([^<>\n]*) <([^<>\n]*)> (-?\d{1,16}) ([+-])(\d\d)(\d\d)$/.exec(lines[i++] ?? '');
  if (am === null) throw new BadFormatError(what, 'missing or malformed author line');
  const tzOffset = (am[4] === '-' ? -1 : 1) * (Number(am[5]) * 60 + Number(am[6]));
  const meta: Record<string, string> = Object.create(null) as Record<string, string>;
  for (; i < lines.length; i++) {
    const mm = /^meta ([a-z][a-z0-9-]{0,63}) (".*")$/.exec(lines[i]!);
    if (mm === null) throw new BadFormatError(what, `unexpected header line ${i + 1}`);
    let value: unknown;
    try {
      value = JSON.parse(mm[2]!);
    } catch {
      throw new BadFormatError(what, `metadata value on header line ${i + 1} is not a JSON string`);
    }
    if (typeof value !== 'string') throw new BadFormatError(what, 'metadata value is not a string');
    meta[mm[1]!] = value;
  }
  const commit: Commit = { tree, parents, author: { name: am[1]!, email: am[2]! }, time: Number(am[3]), tzOffset, message, meta };
  // Canonical form only: re-encoding must give the same bytes, or two ids could name one commit.
  if (!encodeCommit(commit).equals(body)) throw new BadFormatError(what, 'not in canonical form');
  return commit;
}

function formatTz(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}${String(abs % 60).padStart(2, '0')}`;
}

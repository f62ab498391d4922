// Shared human formatting: short ids, git-style dates, byte sizes and ref decorations, so every
// command prints the same thing the same way.
import type { ObjectId } from '../core/hash.js';
import type { ChalkInstance } from 'chalk';
import type { Commit, Person } from '../core/commit-object.js';
import { escapeControls, hasControls, quoteForMessage } from '../errors.js';

/** Digits shown for an abbreviated id; the same length errors.ts uses in its messages. */
export const SHORT_ID = 12;

export function shortId(id: ObjectId, digits = SHORT_ID): string {
  return id.slice(0, digits);
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * git's default date form ("Tue Nov 14 22:13:20 2023 +0000") in the author's own time zone, so
 * output does not depend on the machine that prints it.
 */
export function formatDate(ms: number, tzOffset = 0): string {
  const d = new Date(ms + tzOffset * 60_000);
  const p2 = (n: number) => String(n).padStart(2, '0');
  const time = `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`;
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()} ${time} ${d.getUTCFullYear()} ${formatTzOffset(tzOffset)}`;
}

export function formatTzOffset(minutes: number): string {
  const abs = Math.abs(minutes);
  return `${minutes < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}${String(abs % 60).padStart(2, '0')}`;
}

/** ISO 8601 in UTC with milliseconds: the machine-readable form in --json output. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** Binary units with one decimal above 1 KiB: "512 B", "1.5 KiB", "3.0 GiB". */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

export function formatPerson(p: Person): string {
  return `${p.name} <${p.email}>`;
}

/** The first line of a commit message. */
export function subject(message: string): string {
  const nl = message.indexOf('\n');
  return nl < 0 ? message : message.slice(0, nl);
}

/** A commit message indented by four spaces, as `git log` prints it (trailing newlines dropped). */
export function indentMessage(message: string): string[] {
  return message
    .replace(/\n+$/, '')
    .split('\n')
    .map((l) => (l === '' ? '' : `    ${l}`));
}

/** " (HEAD -> main, tag: v1)" or "" when there is nothing to show. */
export function decorationSuffix(names: readonly string[] | undefined): string {
  return names !== undefined && names.length > 0 ? ` (${names.join(', ')})` : '';
}

/** The --json form of a commit (log, show): full ids, ISO time plus milliseconds. */
export interface CommitJson {
  id: ObjectId;
  parents: ObjectId[];
  tree: ObjectId;
  author: Person;
  time: string;
  timeMs: number;
  tzOffset: number;
  message: string;
  meta: Record<string, string>;
  refs: string[];
}

export function commitJson(id: ObjectId, c: Commit, refs: readonly string[] = []): CommitJson {
  return {
    id,
    parents: c.parents,
    tree: c.tree,
    author: { name: c.author.name, email: c.author.email },
    time: isoTime(c.time),
    timeMs: c.time,
    tzOffset: c.tzOffset,
    message: c.message,
    meta: { ...c.meta },
    refs: [...refs],
  };
}

/** git's medium format: "commit ID (decorations)", Merge:, Author:, Date:, blank, indented message. */
export function commitMedium(color: ChalkInstance, id: ObjectId, c: Commit, refs?: readonly string[]): string[] {
  const lines = [color.yellow(`commit ${id}`) + colorDecorations(color, refs)];
  if (c.parents.length > 1) lines.push(`Merge: ${c.parents.map((p) => shortId(p)).join(' ')}`);
  // Author and message may come from a remote: controls escaped (a message keeps its newlines and tabs).
  lines.push(
    `Author: ${humanText(formatPerson(c.author))}`,
    `Date:   ${formatDate(c.time, c.tzOffset)}`,
    '',
    ...indentMessage(humanLines(c.message)),
  );
  return lines;
}

/** "ID (decorations) subject" for --oneline. */
export function commitOneline(color: ChalkInstance, id: ObjectId, c: Commit, refs?: readonly string[]): string {
  return `${color.yellow(shortId(id))}${colorDecorations(color, refs)} ${humanText(subject(c.message))}`;
}

function colorDecorations(color: ChalkInstance, refs: readonly string[] | undefined): string {
  if (refs === undefined || refs.length === 0) return '';
  const painted = refs.map((r) => {
    if (r.startsWith('HEAD -> ')) return `${color.cyan.bold('HEAD ->')} ${color.green.bold(r.slice(8))}`;
    if (r === 'HEAD') return color.cyan.bold(r);
    if (r.startsWith('tag: ')) return color.yellow.bold(r);
    return r.includes('/') ? color.red.bold(r) : color.green.bold(r);
  });
  return color.yellow(' (') + painted.join(color.yellow(', ')) + color.yellow(')');
}

// ---- Untrusted text in human output: one place for every printer (issue 9) ----

/**
 * A path as human output shows it, as git does (core.quotePath, minus the octal for UTF-8): as is
 * when plain, else in double quotes with '"', '\' and control characters escaped ("a\nb",
 * "x\033[2J"), so a name can neither drive the terminal nor forge a line. --json keeps it exact.
 */
export function quotePath(path: string): string {
  if (!hasControls(path) && !/["\\]/.test(path)) return path;
  return `"${escapeControls(path.replace(/["\\]/g, '\\$&'))}"`;
}

/** Free text from a remote, a file or a name (messages, reasons): control characters escaped. */
export function humanText(s: string): string {
  return escapeControls(s);
}

/** Multi-line text (a commit message): like humanText, but its newlines and tabs stay as they are. */
export function humanLines(s: string): string {
  return s
    .split('\n')
    .map((line) => line.split('\t').map(escapeControls).join('\t'))
    .join('\n');
}

/** An error message as its one human line: controls escaped (even newlines) and length bounded. */
export function humanMessage(message: string, max = 4096): string {
  return quoteForMessage(message, max);
}

/**
 * JSON text with the characters JSON.stringify leaves raw but a terminal may act on (C1 controls,
 * U+2028/2029, bidirectional overrides) written as \u escapes: still the same JSON value. Every
 * --json printer passes its text through here.
 */
export function jsonSafe(json: string): string {
  return json.replace(
    /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

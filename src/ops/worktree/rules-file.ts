// Reading .cairnignore and .cairnattributes from the worktree root: never through a symlink, never
// from a FIFO or device, never more than MAX_RULES_FILE_BYTES (docs/FORMAT.md §14.2). Both files
// arrive with every pull, so they are remote input: a symlink to /dev/zero must not fill memory,
// and one to a FIFO must not hang.
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { BadFormatError } from '../../errors.js';

/** A rules file larger than this is BAD_FORMAT (docs/FORMAT.md §14.2). */
export const MAX_RULES_FILE_BYTES = 1 << 20;

export interface RulesFileText {
  /** The file's text, or null when there is no usable file. */
  text: string | null;
  /** Why a file that is there was not read (a symlink, a FIFO...): shown to the user. */
  warning?: string;
}

/** `name` at the worktree `root`, read without following a symlink. */
export function readRulesFile(root: string, name: string): RulesFileText {
  const path = join(root, name);
  try {
    // lstat first: O_NOFOLLOW does not exist everywhere (Windows), and it names the case exactly.
    const st = lstatSync(path);
    if (st.isSymbolicLink()) return { text: null, warning: notApplied(name, 'is a symlink, which cairn does not follow') };
    if (st.isDirectory()) return { text: null };
    if (!st.isFile()) return { text: null, warning: notApplied(name, 'is not a regular file (a FIFO, socket or device)') };
  } catch (err) {
    if (isAbsent(err)) return { text: null };
    return { text: null, warning: notApplied(name, `cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`) };
  }
  let fd: number;
  try {
    // O_NONBLOCK: if the file was swapped for a FIFO since the lstat, opening it cannot hang.
    fd = openSync(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    if (isAbsent(err)) return { text: null };
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return { text: null, warning: notApplied(name, 'is a symlink, which cairn does not follow') };
    return { text: null, warning: notApplied(name, `cannot be read (${code ?? String(err)})`) };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { text: null, warning: notApplied(name, 'is not a regular file (a FIFO, socket or device)') };
    if (st.size > MAX_RULES_FILE_BYTES) throw tooLarge(name, st.size);
    // Read at most one byte past the limit: the file may grow between fstat and read.
    const buf = Buffer.alloc(Math.min(st.size, MAX_RULES_FILE_BYTES) + 1);
    let got = 0;
    for (let n = 1; n > 0 && got < buf.length; got += n) n = readSync(fd, buf, got, buf.length - got, got);
    if (got > MAX_RULES_FILE_BYTES) throw tooLarge(name, got);
    return { text: buf.toString('utf8', 0, got) };
  } finally {
    closeSync(fd);
  }
}

/** The same limit for a rules file read from a tree (its size is the entry's declared size). */
export function checkRulesFileSize(name: string, size: number): void {
  if (size > MAX_RULES_FILE_BYTES) throw tooLarge(name, size);
}

function tooLarge(name: string, size: number): BadFormatError {
  return new BadFormatError(
    `${name} is ${size} bytes, over the ${MAX_RULES_FILE_BYTES} byte limit for rules files (docs/FORMAT.md §14.2); shorten it or remove it, then run the command again`,
    { what: name, reason: 'too-large', path: name, limit: MAX_RULES_FILE_BYTES },
  );
}

function notApplied(name: string, why: string): string {
  return `${name} ${why}: its rules are not applied`;
}

function isAbsent(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

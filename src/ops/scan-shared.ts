// Constants and the name check shared by the worktree scanner and its worker thread.
import { readdirSync } from 'node:fs';
import { entryNameProblem } from '../core/names.js';

// Names made only of these characters need no further checks (the common case, kept cheap).
export const SAFE_NAME = /^(?!\.\.?$)(?!\.cairn$)[A-Za-z0-9._+=,@ -]{1,255}$/i;

export const KIND_CODES = { file: 0, exec: 1, symlink: 2 } as const;
export const KIND_NAMES = ['file', 'exec', 'symlink'] as const;

/**
 * Why the entry `name` of directory `absDir` cannot be stored, or null. Node decodes a name whose
 * bytes are not UTF-8 with U+FFFD, so the decoded name opens nothing (or another file): such a name
 * is found by re-reading the directory as bytes, only when a U+FFFD shows up. `cache` holds that
 * directory's undecodable names between calls.
 */
export function worktreeNameProblem(name: string, absDir: string, cache: { undecodable?: Set<string> }): string | null {
  if (SAFE_NAME.test(name)) return null;
  const problem = entryNameProblem(name);
  if (problem !== null || !name.includes('\ufffd')) return problem;
  if (cache.undecodable === undefined) {
    cache.undecodable = new Set();
    for (const raw of readdirSync(absDir, { encoding: 'buffer' })) {
      const decoded = raw.toString('utf8');
      if (!Buffer.from(decoded, 'utf8').equals(raw)) cache.undecodable.add(decoded);
    }
  }
  return cache.undecodable.has(name) ? 'not valid UTF-8' : null;
}

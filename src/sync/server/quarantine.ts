// Bounds on what unfinished pushes leave in a repository's quarantine (docs/PROTOCOL.md §6.2, §8):
// the bytes staged in one repository, the bytes one client has staged and not yet published, and
// the age after which abandoned staging is removed (on start, then periodically).
//
// Staged objects are kept so that a push interrupted and run again does not resend them (§7); a
// push that never sends its end record, or never asks for its refs, would otherwise keep them
// forever. Every object a staging writer stores lands in a pack of that writer's own, registered
// with the time of its first write, so "abandoned" is the pack's age: rows of packs older than the
// limit leave the `staged` table, and such a pack, once no row names it, is deleted. A push whose
// staged objects expired between its steps is told to run again (MISSING_OBJECT at push-refs).
import { existsSync, readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { writeTransaction } from '../../store/database.js';
import type { Repository } from '../../store/repository.js';
import { CAIRN_DIR } from '../../store/repository.js';
import { repoNameProblem } from './repos.js';

/** Stored bytes waiting in a repository's quarantine. */
export function stagedBytes(repo: Repository): number {
  const r = repo.db.prepare('SELECT coalesce(sum(stored_len), 0) AS b FROM staged').get() as { b: number };
  return r.b;
}

/**
 * Removes staging older than `maxAgeMs` from `repo`: the rows, then the packs no row names any
 * more. Must not run while a push to this repository is in progress (its writer may still be
 * adding rows to an old pack). Returns what it removed.
 */
export function expireStaging(repo: Repository, maxAgeMs: number, now = Date.now()): { objects: number; packs: number } {
  const cutoff = now - maxAgeMs;
  const db = repo.db;
  const old = db
    .prepare('SELECT DISTINCT s.pack AS id, p.name AS name FROM staged s JOIN packs p ON p.id = s.pack WHERE p.created < ?')
    .all(cutoff) as {
    id: number;
    name: string;
  }[];
  if (old.length === 0) return { objects: 0, packs: 0 };
  const gone: string[] = [];
  let objects = 0;
  writeTransaction(db, () => {
    for (const p of old) {
      objects += db.prepare('SELECT count(*) AS n FROM staged WHERE pack = ?').pluck().get(p.id) as number;
      db.prepare('DELETE FROM staged WHERE pack = ?').run(p.id);
      // A pack some of whose objects were promoted stays: only its quarantined rows go.
      if (db.prepare('SELECT 1 FROM objects WHERE pack = ? LIMIT 1').get(p.id) === undefined) {
        db.prepare('DELETE FROM packs WHERE id = ?').run(p.id);
        gone.push(p.name);
      }
    }
  });
  // After the commit: a crash in between leaves an unregistered file, garbage but harmless.
  for (const name of gone) {
    try {
      unlinkSync(join(repo.cairnDir, 'packs', name));
    } catch {
      /* already gone */
    }
  }
  return { objects, packs: gone.length };
}

/** The names of the repositories under `root` (as RepoHost addresses them), at most `limit`. */
export function listRepositories(root: string, maxDepth = 8, limit = 100_000): string[] {
  const out: string[] = [];
  const walk = (dir: string, parts: string[]) => {
    if (out.length >= limit) return;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory() || e.name.startsWith('.')) continue;
      const name = [...parts, e.name];
      if (repoNameProblem(name.join('/')) !== null) continue;
      const path = join(dir, e.name);
      if (existsSync(join(path, CAIRN_DIR))) out.push(name.join('/'));
      else if (name.length < maxDepth) walk(path, name);
      if (out.length >= limit) return;
    }
  };
  walk(root, []);
  return out;
}

/**
 * What each client has staged and not yet published, per repository, in this process: the bytes
 * of its push-objects requests, less what its push-refs to that repository promoted, forgotten
 * when older than the staging age (they have expired from the quarantine by then).
 */
export class ClientQuarantine {
  private readonly byClient = new Map<string, Map<string, { bytes: number; since: number }>>();

  constructor(private readonly maxAgeMs: number) {}

  bytes(client: string, now = Date.now()): number {
    const repos = this.byClient.get(client);
    if (repos === undefined) return 0;
    let sum = 0;
    for (const [repo, e] of repos) {
      if (e.since <= now - this.maxAgeMs) repos.delete(repo);
      else sum += e.bytes;
    }
    if (repos.size === 0) this.byClient.delete(client);
    return sum;
  }

  add(client: string, repo: string, bytes: number, now = Date.now()): void {
    if (bytes <= 0) return;
    let repos = this.byClient.get(client);
    if (repos === undefined) this.byClient.set(client, (repos = new Map()));
    const e = repos.get(repo);
    if (e === undefined) repos.set(repo, { bytes, since: now });
    else e.bytes += bytes;
  }

  /**
   * `bytes` of what `client` staged in `repo` were published (promoted by its push-refs): they no
   * longer count. Only what was promoted: a small push-refs does not forgive a big unfinished push.
   */
  published(client: string, repo: string, bytes: number): void {
    const repos = this.byClient.get(client);
    const e = repos?.get(repo);
    if (repos === undefined || e === undefined) return;
    e.bytes -= Math.max(0, bytes);
    if (e.bytes <= 0) repos.delete(repo);
    if (repos.size === 0) this.byClient.delete(client);
  }

  prune(now = Date.now()): void {
    for (const client of [...this.byClient.keys()]) this.bytes(client, now);
  }
}

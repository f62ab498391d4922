// The repositories a server hosts: every cairn repository under the root folder, addressed by its
// relative path. Names are checked before any path is built (no '..', no dot-names, plain
// characters only), so a request can never reach outside the root. Open repositories are cached.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CairnError } from '../errors.js';
import { CAIRN_DIR, Repository } from '../store/repository.js';

const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$/;
const MAX_SEGMENTS = 8;
const MAX_OPEN = 64;

export function repoNameProblem(name: string): string | null {
  const parts = name.split('/');
  if (parts.length > MAX_SEGMENTS) return `more than ${MAX_SEGMENTS} path segments`;
  for (const p of parts) {
    if (!SEGMENT.test(p)) return `segment '${p.slice(0, 40)}' must be letters, digits, '.', '_' or '-', not starting with '.' or '-'`;
    if (p.includes('..')) return "'..' is not allowed";
    if (p.toLowerCase() === CAIRN_DIR || p.toLowerCase() === 'v1') return `'${p}' is reserved`;
  }
  return null;
}

export class RepoHost {
  private readonly open = new Map<string, Repository>();

  constructor(readonly root: string) {}

  /** The repository named `name`, or undefined when there is none (and `create` is false). */
  get(name: string, create: boolean): Repository | undefined {
    const problem = repoNameProblem(name);
    if (problem !== null) throw new CairnError('INVALID_NAME', `invalid repository name '${name.slice(0, 100)}': ${problem}`, { name });
    const cached = this.open.get(name);
    if (cached !== undefined) {
      // Most recently used last, so eviction drops the least recently used.
      this.open.delete(name);
      this.open.set(name, cached);
      return cached;
    }
    const dir = join(this.root, ...name.split('/'));
    let repo: Repository;
    const finished = Repository.isFinished(dir);
    if (finished) repo = Repository.open(dir);
    else if (!create) return undefined;
    else {
      // New, or a creation a kill interrupted (init finishes it). Created by a push: nobody works
      // in this folder, so every branch may be pushed to; `core.bare` is set with HEAD, at once.
      mkdirSync(dir, { recursive: true });
      repo = Repository.init(dir, { config: { 'core.bare': 'true' } }).repo;
    }
    this.open.set(name, repo);
    if (this.open.size > MAX_OPEN) {
      const [oldest, r] = this.open.entries().next().value as [string, Repository];
      this.open.delete(oldest);
      r.close();
    }
    return repo;
  }

  close(): void {
    for (const r of this.open.values()) r.close();
    this.open.clear();
  }
}

// The repositories a server hosts: every cairn repository under the root folder, addressed by its
// relative path. Names are checked before any path is built (no '..', no dot-names, plain
// characters only), so a request can never reach outside the root. Open repositories are cached.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidNameError } from '../../errors.js';
import { CAIRN_DIR, Repository } from '../../store/repository.js';

const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$/;
const MAX_SEGMENTS = 8;
export const MAX_OPEN = 64;

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
  /** Requests using each repository: an evicted one is closed only once the last one is done. */
  private readonly users = new Map<Repository, number>();
  private readonly retired = new Set<Repository>();

  /** `onClose` runs before a repository is closed: what its users built on it goes first. */
  constructor(
    readonly root: string,
    private readonly onClose: (repo: Repository) => void = () => undefined,
  ) {}

  private closeRepo(repo: Repository): void {
    this.onClose(repo);
    repo.close();
  }

  /**
   * The repository named `name`, or undefined when there is none (and `create` is false). Every
   * repository returned must be given back with `release` when the request is done.
   */
  get(name: string, create: boolean): Repository | undefined {
    const repo = this.lookup(name, create);
    if (repo !== undefined) this.users.set(repo, (this.users.get(repo) ?? 0) + 1);
    return repo;
  }

  release(repo: Repository): void {
    const n = (this.users.get(repo) ?? 1) - 1;
    if (n > 0) {
      this.users.set(repo, n);
      return;
    }
    this.users.delete(repo);
    if (this.retired.delete(repo)) this.closeRepo(repo);
  }

  private lookup(name: string, create: boolean): Repository | undefined {
    const problem = repoNameProblem(name);
    if (problem !== null) throw new InvalidNameError(`invalid repository name '${name.slice(0, 100)}': ${problem}`, { name });
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
      // Still serving a request (a long clone, say): closed when that request releases it.
      if (this.users.has(r)) this.retired.add(r);
      else this.closeRepo(r);
    }
    return repo;
  }

  close(): void {
    for (const r of this.open.values()) this.closeRepo(r);
    for (const r of this.retired) this.closeRepo(r);
    this.open.clear();
    this.retired.clear();
    this.users.clear();
  }
}

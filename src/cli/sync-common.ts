// What clone, fetch, push, pull and snapshot share: turning a remote name or URL into a URL and
// credentials, and rendering transfer progress (a bar on a terminal, JSON lines on stderr with
// --json). Tokens are read here and handed down; they are never printed.
import { readFileSync } from 'node:fs';
import { IoError, NotFoundError, UsageError } from '../errors.js';
import type { Repository } from '../store/repository.js';
import { refWho, resolveAuthor } from '../ops/identity.js';
import type { ProgressFn } from '../ops/progress.js';
import type { RemoteOptions } from '../sync/client/http-client.js';
import type { Refspec } from '../sync/client/push.js';
import type { CommandContext } from './context.js';
import { tokenFor } from './credentials.js';
import { progressRenderer } from './progress.js';

export interface RemoteTarget {
  url: string;
  /** Set when the target was a configured remote (its tracking refs get updated). */
  remoteName?: string;
}

/** A configured remote's name, or a URL used as is. */
export function remoteTarget(repo: Repository, nameOrUrl: string): RemoteTarget {
  if (/^https?:\/\//i.test(nameOrUrl)) return { url: nameOrUrl };
  const url = repo.config.get(`remote.${nameOrUrl}.url`);
  if (url === undefined)
    throw new NotFoundError(`no remote named '${nameOrUrl}'; add one with 'cairn remote add ${nameOrUrl} URL'`, { remote: nameOrUrl });
  return { url, remoteName: nameOrUrl };
}

/** Token (CAIRN_TOKEN or the credentials file) and extra CA certificates (CAIRN_CA_FILE). */
export function remoteOptions(ctx: CommandContext, url: string): RemoteOptions {
  const out: RemoteOptions = {};
  const token = tokenFor(ctx, url);
  if (token !== undefined) out.token = token;
  const timeout = ctx.env['CAIRN_REMOTE_TIMEOUT'];
  if (timeout !== undefined && timeout !== '') {
    const ms = Number(timeout);
    if (!Number.isInteger(ms) || ms < 100)
      throw new UsageError(`CAIRN_REMOTE_TIMEOUT must be a whole number of milliseconds (at least 100), not '${timeout}'`);
    out.timeoutMs = ms;
  }
  const caFile = ctx.env['CAIRN_CA_FILE'];
  if (caFile !== undefined && caFile !== '') {
    try {
      out.ca = readFileSync(caFile);
    } catch (err) {
      throw new IoError(`cannot read CAIRN_CA_FILE ${caFile}: ${(err as Error).message}`, { path: caFile });
    }
  }
  return out;
}

/** Who the reflog names for a sync command; `clone` has no repository to read user.name from yet. */
export function who(ctx: CommandContext, repo: Repository | undefined): string {
  return refWho(resolveAuthor(repo, ctx.env));
}

/** Progress for a transfer: JSON lines on stderr with --json, a bar on a terminal, else nothing. */
export function transferProgress(ctx: CommandContext, json: boolean): { report: ProgressFn; stop: () => void } {
  if (json) {
    let last = 0;
    return {
      report: (e) => {
        const now = Date.now();
        // At most ten lines a second, but always the last of a phase.
        if (now - last < 100 && e.done !== e.total) return;
        last = now;
        ctx.err.write(
          `${JSON.stringify({ progress: e.phase, done: e.done, total: e.total ?? null, unit: e.unit ?? null, ...(e.bytes === undefined ? {} : { bytes: e.bytes }) })}\n`,
        );
      },
      stop: () => undefined,
    };
  }
  return progressRenderer(ctx.isTTY);
}

/** After a push: branches without an upstream (or all, with -u) track what they were pushed to. */
export function setUpstreams(repo: Repository, remote: string, specs: readonly Refspec[], always: boolean): string[] {
  const out: string[] = [];
  for (const s of specs) {
    if (s.src === null || !s.src.startsWith('refs/heads/') || !s.dst.startsWith('refs/heads/')) continue;
    const branch = s.src.slice('refs/heads/'.length);
    if (!always && repo.config.get(`branch.${branch}.remote`) !== undefined) continue;
    repo.config.set(`branch.${branch}.remote`, remote);
    repo.config.set(`branch.${branch}.merge`, s.dst);
    out.push(`${branch} -> ${remote}/${s.dst.slice('refs/heads/'.length)}`);
  }
  return out;
}

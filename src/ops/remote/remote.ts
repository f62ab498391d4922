// Remotes: named URLs in the config (`remote.<name>.url`), their remote-tracking refs
// (`refs/remotes/<name>/*`) and the branches whose upstream they are (`branch.<B>.remote`).
import { AlreadyExistsError, InvalidNameError, NotFoundError, UsageError } from '../../errors.js';
import type { Repository } from '../../store/repository.js';

export const REMOTES_PREFIX = 'refs/remotes/';
const MAX_REMOTE_NAME = 64;

export interface RemoteInfo {
  name: string;
  url: string;
}

export interface RemoveRemoteResult {
  name: string;
  url: string;
  /** Remote-tracking refs deleted (full names). */
  deletedRefs: string[];
  /** Local branches that no longer have an upstream. */
  untracked: string[];
}

/** Why `name` cannot name a remote, or null when it can. It becomes a ref component and a config key part. */
export function remoteNameProblem(name: string): string | null {
  if (name.length === 0) return 'empty';
  if (name.length > MAX_REMOTE_NAME) return `longer than ${MAX_REMOTE_NAME} characters`;
  if (!/^[A-Za-z0-9._-]+$/.test(name)) return "only letters, digits, '.', '_' and '-' are allowed";
  if (name.startsWith('.') || name.startsWith('-')) return "starts with '.' or '-'";
  if (name.includes('..')) return "contains '..'";
  // refs/remotes/<name>/… must stay a valid ref name (ref-store rules).
  if (name.endsWith('.') || name.endsWith('.lock')) return "ends with '.' or '.lock'";
  return null;
}

export function checkRemoteName(name: string): void {
  const problem = remoteNameProblem(name);
  if (problem !== null) throw new InvalidNameError(name, `remote name ${problem}`);
}

/**
 * Accepts only http:// and https:// URLs without embedded credentials: a password in the config
 * would be stored in clear and shown by `remote -v`, so tokens come from CAIRN_TOKEN or the
 * credentials file instead.
 */
export function checkRemoteUrl(url: string): void {
  if (/[\u0000-\u0020\u007f]/.test(url))
    throw new UsageError(`remote URL '${printable(url)}' contains a space or control character`, { url });
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`'${url}' is not a URL: use http://HOST[:PORT]/PATH or https://…`, { url });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new UsageError(`unsupported URL scheme '${parsed.protocol}' in '${url}': cairn syncs over http:// or https:// only`, { url });
  }
  if (parsed.username !== '' || parsed.password !== '') {
    // Never echo the URL: it holds the secret.
    throw new UsageError(
      'refusing a remote URL with a user name or password in it: remove it from the URL and put the token in CAIRN_TOKEN or the credentials file (see docs/CLI.md, Remotes)',
      {},
    );
  }
}

export function listRemotes(repo: Repository): RemoteInfo[] {
  const out: RemoteInfo[] = [];
  for (const { key, value } of repo.config.list()) {
    const m = /^remote\.(.+)\.url$/.exec(key);
    if (m !== null) out.push({ name: m[1]!, url: value });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function getRemoteUrl(repo: Repository, name: string): string {
  checkRemoteName(name);
  const url = repo.config.get(`remote.${name}.url`);
  if (url === undefined) throw new NotFoundError('remote', name, 'add it with cairn remote add NAME URL');
  return url;
}

/** Adds a remote; ALREADY_EXISTS when the name is taken. */
export function addRemote(repo: Repository, name: string, url: string): RemoteInfo {
  checkRemoteName(name);
  checkRemoteUrl(url);
  const key = `remote.${name}.url`;
  repo.refs.transaction(() => {
    if (repo.config.get(key) !== undefined) {
      throw new AlreadyExistsError(`remote '${name}' already exists: use 'cairn remote set-url ${name} URL' to change its URL`, { name });
    }
    repo.config.set(key, url);
  });
  return { name, url };
}

/** Changes the URL of an existing remote; returns the old one. */
export function setRemoteUrl(repo: Repository, name: string, url: string): { name: string; url: string; oldUrl: string } {
  checkRemoteName(name);
  checkRemoteUrl(url);
  return repo.refs.transaction(() => {
    const oldUrl = getRemoteUrl(repo, name);
    repo.config.set(`remote.${name}.url`, url);
    return { name, url, oldUrl };
  });
}

/**
 * Removes a remote: its config keys, its remote-tracking refs (each deleted by compare-and-swap
 * from the value just read, so a concurrent fetch makes this fail cleanly rather than leave a
 * half-removed remote) and the upstream settings of branches that tracked it — all in one transaction.
 */
export function removeRemote(repo: Repository, name: string, who = 'cairn'): RemoveRemoteResult {
  const url = getRemoteUrl(repo, name);
  return repo.refs.transaction(() => {
    const refs = repo.refs.list(`${REMOTES_PREFIX}${name}/`);
    if (refs.length > 0)
      repo.refs.update(
        refs.map((r) => ({ name: r.name, expected: r.id, next: null })),
        who,
        `remote: removed '${name}'`,
      );
    const untracked: string[] = [];
    for (const { key, value } of repo.config.list()) {
      // Only `remote.<name>.<setting>`: remote 'a' must not take the keys of remote 'a.b' with it.
      if (key.startsWith(`remote.${name}.`) && !key.slice(`remote.${name}.`.length).includes('.')) repo.config.unset(key);
      const m = /^branch\.(.+)\.remote$/.exec(key);
      if (m !== null && value === name) {
        untracked.push(m[1]!);
        repo.config.unset(key);
        repo.config.unset(`branch.${m[1]!}.merge`);
      }
    }
    return { name, url, deletedRefs: refs.map((r) => r.name), untracked };
  });
}

function printable(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

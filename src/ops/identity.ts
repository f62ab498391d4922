// Who is committing: CAIRN_AUTHOR_NAME / CAIRN_AUTHOR_EMAIL, else `cairn config user.name/email`,
// else the operating-system user. The environment is passed in: ops never read process.env.
import { hostname, userInfo } from 'node:os';
import type { Person } from '../core/commit-object.js';
import type { Repository } from '../store/repository.js';

export function resolveAuthor(repo: Repository | undefined, env: Record<string, string | undefined>): Person {
  let osUser = 'unknown';
  try {
    osUser = userInfo().username;
  } catch {
    /* no passwd entry (containers) */
  }
  const clean = (s: string) => s.replace(/[<>\n\0]/g, '').trim();
  const name = env['CAIRN_AUTHOR_NAME'] || repo?.config.get('user.name') || osUser;
  const email = env['CAIRN_AUTHOR_EMAIL'] || repo?.config.get('user.email') || `${osUser}@${hostname()}`;
  return { name: clean(name), email: clean(email) };
}

/** How a person appears in the ref log. */
export function refWho(p: Person): string {
  return `${p.name} <${p.email}>`;
}

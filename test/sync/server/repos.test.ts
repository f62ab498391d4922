// The server's repository cache: names never reach outside the root, and a repository evicted
// while a request still uses it stays open until that request releases it.
import { afterAll, describe, expect, test } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_OPEN, RepoHost, repoNameProblem } from '../../../src/sync/server/repos.js';
import { tempDir } from '../../helpers/cli.js';

const tmp = tempDir('cairn-repohost-');
afterAll(() => tmp.cleanup());

describe('RepoHost', () => {
  test('refuses names that could leave the root', () => {
    for (const bad of ['..', 'a/../b', '.cairn', 'A/.CAIRN', '/abs', 'a//b', '-x', '.hidden', 'v1', 'a\\b', 'a\0b']) {
      expect(repoNameProblem(bad), bad).not.toBeNull();
    }
    for (const good of ['sales', 'team/sales', 'a.b_c-d', 'x1/y2/z3']) expect(repoNameProblem(good), good).toBeNull();
  });

  test('creates only when asked, and an evicted repository in use stays open until released', () => {
    const host = new RepoHost(join(tmp.dir, 'root'));
    expect(host.get('none', false)).toBeUndefined();
    expect(existsSync(join(tmp.dir, 'root', 'none'))).toBe(false);
    const held = host.get('held', true)!;
    expect(held.config.get('core.bare')).toBe('true');
    // Fill the cache past its size: 'held' is the least recently used and gets evicted.
    for (let i = 0; i < MAX_OPEN + 2; i++) host.release(host.get(`r${i}`, true)!);
    // Still usable by the request that holds it.
    expect(held.refs.read('HEAD')).toEqual({ symbolic: true, target: 'refs/heads/main' });
    host.release(held);
    // Released after eviction: closed now.
    expect(() => held.refs.read('HEAD')).toThrow();
    // Asking again opens it afresh.
    const again = host.get('held', false)!;
    expect(again.refs.read('HEAD')).toEqual({ symbolic: true, target: 'refs/heads/main' });
    host.release(again);
    host.close();
  });
});

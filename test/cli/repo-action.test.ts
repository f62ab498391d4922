// repoAction closes the repository however the body ends (throw, reject, resolve) and records the
// exit code that the error's code maps to; checkedRepoAction checks its arguments before opening.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Chalk } from 'chalk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CommandContext } from '../../src/cli/context.js';
import { EXIT } from '../../src/cli/exit.js';
import { checkedRepoAction, repoAction } from '../../src/cli/repo-action.js';
import { NotFoundError, UsageError } from '../../src/errors.js';
import { CAIRN_DIR, DB_FILE, Repository } from '../../src/store/repository.js';
import { runCairn, tempDir } from '../helpers/cli.js';

interface Flags {
  json?: boolean;
}

let dir: string;
let cleanup: () => void;
let out: string;
let err: string;
let ctx: CommandContext;

beforeEach(() => {
  ({ dir, cleanup } = tempDir('cairn-repo-action-'));
  Repository.init(dir).repo.close();
  out = '';
  err = '';
  ctx = {
    cwd: dir,
    env: {},
    out: { write: (s: string) => (out += s) } as unknown as CommandContext['out'],
    err: { write: (s: string) => (err += s) },
    isTTY: false,
    color: new Chalk({ level: 0 }),
  };
});

afterEach(() => {
  process.exitCode = undefined;
  cleanup();
});

const wal = () => join(dir, CAIRN_DIR, `${DB_FILE}-wal`);

/** A closed better-sqlite3 handle says so, and SQLite removes the -wal file on the last close. */
function expectClosed(repo: Repository | undefined): void {
  expect(repo).toBeDefined();
  expect(repo!.db.open).toBe(false);
  expect(existsSync(wal())).toBe(false);
}

describe('repoAction', () => {
  it('closes the repository after a body that throws, and exits with the code of the error', async () => {
    let seen: Repository | undefined;
    const run = repoAction(ctx, ({ repo }, _opts: Flags, _cmd: object) => {
      seen = repo;
      expect(repo.db.open).toBe(true);
      expect(existsSync(wal())).toBe(true);
      throw new NotFoundError('branch', 'nope');
    });
    await run({}, {});
    expectClosed(seen);
    expect(process.exitCode).toBe(EXIT.NOT_FOUND);
    expect(err).toBe("error: branch 'nope' not found\n");
    expect(out).toBe('');
  });

  it('closes the repository after an async body that rejects, reporting JSON with --json', async () => {
    let seen: Repository | undefined;
    const run = repoAction(ctx, async ({ repo }, _opts: Flags, _cmd: object) => {
      seen = repo;
      await new Promise((ok) => setTimeout(ok, 5));
      expect(repo.db.open).toBe(true);
      throw new UsageError('bad flag');
    });
    await run({ json: true }, {});
    expectClosed(seen);
    expect(process.exitCode).toBe(EXIT.USAGE);
    expect(JSON.parse(out)).toMatchObject({ error: { code: 'USAGE', message: 'bad flag' } });
  });

  it('closes the repository after an async body that resolves, whose number is the exit code', async () => {
    let seen: Repository | undefined;
    const run = repoAction(ctx, async ({ repo }, _opts: Flags, _cmd: object) => {
      seen = repo;
      await new Promise((ok) => setTimeout(ok, 5));
      return EXIT.FALSE;
    });
    await run({}, {});
    expectClosed(seen);
    expect(process.exitCode).toBe(EXIT.FALSE);
    expect(err).toBe('');

    await repoAction(ctx, () => undefined)();
    expect(process.exitCode).toBe(EXIT.OK);
  });

  it('stops the progress displays it handed out before closing the repository', async () => {
    const events: string[] = [];
    let seen: Repository | undefined;
    const run = repoAction(ctx, ({ repo, progress, transferProgress }, _opts: Flags, _cmd: object) => {
      seen = repo;
      expect(transferProgress).toBe(transferProgress);
      // With --json a transfer reports JSON lines on stderr; the bar is silent off a terminal.
      transferProgress.report({ phase: 'receive', done: 1, total: 1 });
      progress.report({ phase: 'scan', done: 1, total: 1 });
      const stop = progress.stop;
      progress.stop = () => {
        events.push(`stop, open=${String(repo.db.open)}`);
        stop();
      };
      throw new NotFoundError('branch', 'x');
    });
    await run({ json: true }, {});
    expectClosed(seen);
    expect(events).toEqual(['stop, open=true']);
    expect(err.split('\n')[0]).toBe('{"progress":"receive","done":1,"total":1,"unit":null}');
  });

  it('outside a repository fails with NOT_A_REPOSITORY before the body runs', async () => {
    const outside = tempDir('cairn-no-repo-');
    try {
      let ran = false;
      await repoAction({ ...ctx, cwd: outside.dir }, () => {
        ran = true;
      })();
      expect(ran).toBe(false);
      expect(process.exitCode).toBe(EXIT.NOT_A_REPOSITORY);
      expect(err).toMatch(/^error: not a cairn repository/);
    } finally {
      outside.cleanup();
    }
  });
});

describe('checkedRepoAction', () => {
  it('reports a usage error from its check even outside a repository, opening nothing', async () => {
    const outside = tempDir('cairn-no-repo-');
    try {
      let opened = false;
      const run = checkedRepoAction({ ...ctx, cwd: outside.dir }, (n: string, _opts: Flags, _cmd: object) => {
        if (n !== 'ok') throw new UsageError(`bad count '${n}'`);
        return () => {
          opened = true;
        };
      });
      await run('x', {}, {});
      expect(opened).toBe(false);
      expect(process.exitCode).toBe(EXIT.USAGE);
      expect(err).toBe("error: bad count 'x'\n");
    } finally {
      outside.cleanup();
    }
  });

  it('gives the body what the check worked out, and closes after it', async () => {
    let seen: Repository | undefined;
    const run = checkedRepoAction(ctx, (n: string, _opts: Flags, _cmd: object) => {
      const count = Number(n);
      return ({ repo }) => {
        seen = repo;
        return count;
      };
    });
    await run('5', {}, {});
    expectClosed(seen);
    expect(process.exitCode).toBe(5);
  });
});

describe('the cairn binary', () => {
  it('leaves no -wal file behind when a command fails after opening the repository', () => {
    const cases: [string[], number][] = [
      [['branch', '-d'], EXIT.USAGE],
      [['show', 'nosuch'], EXIT.NOT_FOUND],
      [['log', 'nosuch'], EXIT.NOT_FOUND],
      [['cat', 'HEAD:missing.json'], EXIT.NOT_FOUND],
    ];
    for (const [args, code] of cases) {
      const r = runCairn(args, { cwd: dir });
      expect({ args, code: r.code }).toEqual({ args, code });
      expect(existsSync(wal())).toBe(false);
    }
  });
});

// The state of one benchmark invocation: its session folder, peers, and the
// command builders for cairn and git.
import fs from 'node:fs';
import path from 'node:path';
import type { Options, Scale } from './config.js';
import { describeFailure, runSteps, type CmdSpec } from './measure.js';

export interface SmallRepo {
  /** The generated tree; cairn's .cairn lives inside it, git's metadata outside. */
  worktree: string;
  files: number;
  bytes: number;
  /** True when worktree/.cairn holds a commit of the tree. */
  cairnCommitted: boolean;
  /** A git dir (outside the worktree) holding a commit of the tree. */
  gitDir: string | null;
}

export class Bench {
  readonly session: string;
  readonly trashDir: string;
  private trashCount = 0;
  private freshCount = 0;
  /** Folders of few big files, removed at the end of their scenario. */
  readonly small: { repo?: SmallRepo } = {};

  constructor(
    readonly opts: Options,
    readonly scale: Scale,
    readonly git: string | null,
    readonly sha256sum: string | null,
    readonly log: (message: string) => void,
  ) {
    fs.mkdirSync(opts.dir, { recursive: true });
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
    this.session = fs.mkdtempSync(path.join(opts.dir, `session-${stamp}-`));
    this.trashDir = path.join(this.session, 'trash');
    fs.mkdirSync(this.trashDir);
  }

  get cairnEnabled(): boolean {
    return this.opts.withCairn;
  }

  get gitEnabled(): boolean {
    return this.opts.withPeers && this.git !== null;
  }

  /** A new, empty folder in the session that no earlier run has used. */
  freshDir(name: string): string {
    const dir = path.join(this.session, `${name}-${++this.freshCount}`);
    fs.mkdirSync(dir, { recursive: true });
    return dir;
  }

  /** A path in the session that does not exist yet. */
  freshPath(name: string): string {
    return path.join(this.session, `${name}-${++this.freshCount}`);
  }

  /**
   * Move a folder out of the way without deleting it (deleting ~100k files makes
   * ext4 slow to create files for minutes; the trash is removed at the end).
   */
  trash(p: string): void {
    if (!fs.existsSync(p)) return;
    fs.renameSync(p, path.join(this.trashDir, `${++this.trashCount}-${path.basename(p)}`));
  }

  /** Run untimed commands in order; the first failure's description, or null. */
  async exec(specs: CmdSpec[]): Promise<string | null> {
    const r = await runSteps(specs);
    return r.failed ? describeFailure(r.failed) : null;
  }

  /** Create a git dir outside the work tree that ignores cairn's `.cairn/`. */
  async gitInitRepo(gitDir: string): Promise<string | null> {
    const err = await this.exec([
      this.gitCmd(['init', '-q', '--bare', gitDir], this.session, { label: 'git init' }),
      this.gitCmd(['config', 'core.bare', 'false'], this.session, { gitDir, label: 'git config core.bare false' }),
    ]);
    if (err) return err;
    fs.mkdirSync(path.join(gitDir, 'info'), { recursive: true });
    fs.appendFileSync(path.join(gitDir, 'info', 'exclude'), '/.cairn/\n');
    return null;
  }

  /** Delete now: only for folders of a few big files. */
  removeNow(p: string): void {
    fs.rmSync(p, { recursive: true, force: true });
  }

  /** Remove the session (unless --keep). */
  cleanup(): void {
    if (this.opts.keep) {
      this.log(`kept bench data in ${this.session}`);
      return;
    }
    this.log(`removing ${this.session} ...`);
    fs.rmSync(this.session, { recursive: true, force: true });
  }

  private timeoutMs(): number {
    return this.opts.timeoutSec * 1000;
  }

  cairn(args: string[], cwd: string, label?: string): CmdSpec {
    return {
      label: label ?? `cairn ${args.join(' ')}`,
      cmd: process.execPath,
      args: [this.opts.cairnBin, ...args],
      cwd,
      env: {
        ...process.env,
        CAIRN_AUTHOR_NAME: 'bench',
        CAIRN_AUTHOR_EMAIL: 'bench@example.com',
        NO_COLOR: '1',
      },
      timeoutMs: this.timeoutMs(),
    };
  }

  /** git with its metadata in gitDir and its work tree in workTree (null: no work tree). */
  gitCmd(args: string[], cwd: string, opts: { gitDir?: string; workTree?: string; env?: NodeJS.ProcessEnv; label?: string } = {}): CmdSpec {
    const base = [
      '-c',
      'gc.auto=0',
      '-c',
      'maintenance.auto=false',
      '-c',
      'user.name=bench',
      '-c',
      'user.email=bench@example.com',
      '-c',
      'init.defaultBranch=main',
      '-c',
      'advice.detachedHead=false',
    ];
    if (opts.gitDir) base.push('--git-dir', opts.gitDir);
    if (opts.workTree) base.push('--work-tree', opts.workTree);
    return {
      label: opts.label ?? `git ${args.join(' ')}`,
      cmd: this.git ?? 'git',
      args: [...base, ...args],
      cwd,
      env: {
        ...process.env,
        GIT_CONFIG_GLOBAL: '/dev/null',
        GIT_CONFIG_NOSYSTEM: '1',
        LC_ALL: 'C',
        ...opts.env,
      },
      timeoutMs: this.timeoutMs(),
    };
  }
}

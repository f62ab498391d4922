// Tokens end to end with `cairn serve --tokens`: no token is 401 and an unknown one too, a read
// token cannot push (403), each exits 8 and changes nothing on the server; a write token pushes;
// anonymous reading works where granted; CAIRN_TOKEN and the credentials file both supply the
// token; and no token ever appears in any output, the server's log or a client's repository.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnCairn, tempDir, type RunResult } from '../helpers/cli.js';
import { startServer, type TestServer } from '../helpers/server.js';

const WRITE = 'wr1te-t0ken-5ecret';
const READ = 'r3ad-t0ken-5ecret';
const UNKNOWN = 'unkn0wn-t0ken-5ecret';
const TOKENS = [WRITE, READ, UNKNOWN];

let tmp: { dir: string; cleanup: () => void };
let server: TestServer;
let A: string;
let S: string;
let team: string;
let pub: string;
/** Every stdout and stderr of every client command, checked for tokens at the end. */
const outputs: string[] = [];

function start(cwd: string, args: string[], env: Record<string, string> = {}): Promise<RunResult> {
  // XDG_CONFIG_HOME inside the test folder: the user's real credentials file is never read.
  const p = spawnCairn(args, { cwd, env: { XDG_CONFIG_HOME: join(tmp.dir, 'xdg'), ...env } });
  let stdout = '';
  let stderr = '';
  p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    p.once('error', reject);
    p.once('close', (code) => {
      outputs.push(stdout, stderr);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

async function ok(cwd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const r = await start(cwd, args, env);
  if (r.code !== 0) throw new Error(`cairn ${args.join(' ')} exited ${r.code}\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** The server repository's refs, read on disk by the server-side CLI (no network). */
async function serverRefs(): Promise<string> {
  const [branches, tags] = await Promise.all([ok(tmp.dir, ['-C', S, 'branch', '-v']), ok(tmp.dir, ['-C', S, 'tag'])]);
  return branches + tags;
}

function requestLines(): { endpoint: string; status: number; who: string; path: string }[] {
  return server
    .log()
    .split('\n')
    .filter((l) => l.includes('"msg":"request"'))
    .map((l) => JSON.parse(l) as { endpoint: string; status: number; who: string; path: string });
}

beforeAll(async () => {
  tmp = tempDir('cairn-sync-auth-');
  const tokens = join(tmp.dir, 'tokens');
  writeFileSync(tokens, `# test grants\n${WRITE} write team/*\n${WRITE} write public/*\n${READ} read team/*\nanonymous read public/*\n`);
  server = await startServer(join(tmp.dir, 'srv'), ['--tokens', tokens]);
  team = `${server.url}/team/data`;
  pub = `${server.url}/public/data`;
  A = join(tmp.dir, 'a');
  S = join(server.root, 'team', 'data');
  mkdirSync(A);
  await ok(A, ['init']);
  writeFileSync(join(A, 'data.json'), '{"a":1}\n');
  await ok(A, ['commit', '-a', '-m', 'first']);
});

afterAll(async () => {
  await server?.stop();
  tmp?.cleanup();
});

describe('tokens', () => {
  it('lets a write token (CAIRN_TOKEN) create repositories by pushing', async () => {
    await Promise.all([ok(A, ['push', team, 'main'], { CAIRN_TOKEN: WRITE }), ok(A, ['push', pub, 'main'], { CAIRN_TOKEN: WRITE })]);
    expect(await serverRefs()).toContain('main');
    writeFileSync(join(A, 'data.json'), '{"a":2}\n');
    await ok(A, ['commit', '-a', '-m', 'second']);
  });

  it('refuses missing, unknown and read-only tokens with exit 8, changing nothing on the server', async () => {
    const before = await serverRefs();
    const seen = requestLines().length;
    const [noTokenClone, noTokenPush, unknownPush, readPush, anonPush] = await Promise.all([
      start(tmp.dir, ['clone', team, 'nope']),
      start(A, ['push', team, 'main']),
      start(A, ['push', team, 'main'], { CAIRN_TOKEN: UNKNOWN }),
      start(A, ['push', team, 'main'], { CAIRN_TOKEN: READ }),
      start(A, ['push', pub, 'main']),
    ]);
    for (const r of [noTokenClone, noTokenPush, unknownPush, readPush, anonPush]) expect(r.code).toBe(8);
    expect(noTokenPush.stderr).toContain('authentication required');
    expect(unknownPush.stderr).toContain('authentication required');
    expect(readPush.stderr).toContain('permission denied');
    expect(readdirSync(tmp.dir)).not.toContain('nope');
    expect(await serverRefs()).toBe(before);
    // Let the log catch up, then check what the server answered.
    await new Promise((r) => setTimeout(r, 300));
    const lines = requestLines().slice(seen);
    expect(lines.filter((l) => l.status === 401).length).toBe(4);
    expect(lines.filter((l) => l.status === 403).length).toBe(1);
    expect(lines.filter((l) => l.endpoint === 'push-objects' || l.endpoint === 'push-refs')).toEqual([]);
    // The read token and the anonymous push got as far as reading the refs, no further.
    expect(lines.filter((l) => l.status === 200).map((l) => l.endpoint)).toEqual(['refs', 'refs']);
  });

  it('lets a read token clone, and anyone clone where anonymous reading is granted', async () => {
    const [viaRead, anon] = await Promise.all([
      ok(tmp.dir, ['clone', team, 'r', '--json'], { CAIRN_TOKEN: READ }),
      ok(tmp.dir, ['clone', pub, 'p', '--json']),
    ]);
    expect(JSON.parse(viaRead)).toMatchObject({ branch: 'main', resumed: false });
    expect(JSON.parse(anon)).toMatchObject({ branch: 'main' });
    expect(readFileSync(join(tmp.dir, 'r', 'data.json'), 'utf8')).toBe('{"a":1}\n');
    expect(readFileSync(join(tmp.dir, 'p', 'data.json'), 'utf8')).toBe('{"a":1}\n');
  });

  it('takes the token from the credentials file, longest matching prefix first', async () => {
    const creds = join(tmp.dir, 'credentials');
    writeFileSync(creds, `${server.url} ${UNKNOWN}\n${server.url}/team ${WRITE}\n`);
    chmodSync(creds, 0o600);
    const pushed = JSON.parse(await ok(A, ['push', team, 'main', '--json'], { CAIRN_CREDENTIALS: creds })) as {
      refs: { status: string; new: string }[];
    };
    expect(pushed.refs[0]!.status).toBe('ok');
    const R = join(tmp.dir, 'r');
    const fetched = JSON.parse(await ok(R, ['fetch', '--json'], { CAIRN_CREDENTIALS: creds })) as {
      updated: { ref: string; new: string }[];
    };
    expect(fetched.updated).toEqual([expect.objectContaining({ ref: 'refs/remotes/origin/main', new: pushed.refs[0]!.new })]);
    // CAIRN_TOKEN wins over the file.
    const r = await start(R, ['fetch'], { CAIRN_CREDENTIALS: creds, CAIRN_TOKEN: UNKNOWN });
    expect(r.code).toBe(8);
    // The file's shorter prefix (an unknown token) is what the public repository gets.
    const p = await start(join(tmp.dir, 'p'), ['fetch'], { CAIRN_CREDENTIALS: creds });
    expect(p.code).toBe(8);
  });

  it('never shows a token in any output, the server log or a clone', () => {
    expect(outputs.length).toBeGreaterThan(20);
    const places = [...outputs, server.log()];
    for (const d of ['r', 'p']) {
      const cairn = join(tmp.dir, d, '.cairn');
      for (const f of readdirSync(cairn))
        if (f.endsWith('.db') || f.endsWith('-wal')) places.push(readFileSync(join(cairn, f)).toString('latin1'));
    }
    for (const text of places) for (const t of TOKENS) expect(text).not.toContain(t);
    expect(requestLines().some((l) => l.who.startsWith('token:'))).toBe(true);
  });
});

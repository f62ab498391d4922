// HTTPS: `cairn serve --tls-cert/--tls-key` with a self-signed certificate made by openssl; a
// client trusting it through CAIRN_CA_FILE pushes and clones, one that does not is refused (exit 8)
// and creates nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cairnOk, runCairn, tempDir } from '../helpers/cli.js';
import { startServer, type TestServer } from '../helpers/server.js';

const openssl = spawnSync('openssl', ['version'], { encoding: 'utf8' });
const haveOpenssl = openssl.error === undefined && openssl.status === 0;

let tmp: { dir: string; cleanup: () => void };
let server: TestServer | undefined;
let cert: string;

beforeAll(async () => {
  tmp = tempDir('cairn-sync-tls-');
  if (!haveOpenssl) return;
  cert = join(tmp.dir, 'cert.pem');
  const key = join(tmp.dir, 'key.pem');
  const r = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-days',
      '1',
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
  server = await startServer(join(tmp.dir, 'srv'), ['--tls-cert', cert, '--tls-key', key]);
});

afterAll(async () => {
  await server?.stop();
  tmp?.cleanup();
});

describe.skipIf(!haveOpenssl)('sync over HTTPS (needs openssl to make a certificate)', () => {
  it('serves https, and a client trusting the certificate through CAIRN_CA_FILE pushes and clones', () => {
    expect(server!.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const url = `${server!.url}/secure`;
    const env = { CAIRN_CA_FILE: cert };
    const A = join(tmp.dir, 'a');
    mkdirSync(A);
    cairnOk(['init'], { cwd: A });
    writeFileSync(join(A, 'data.json'), '{"tls":true}\n');
    cairnOk(['commit', '-a', '-m', 'over tls'], { cwd: A });
    const pushed = JSON.parse(cairnOk(['push', url, 'main', '--json'], { cwd: A, env })) as { refs: { status: string; new: string }[] };
    expect(pushed.refs[0]!.status).toBe('ok');
    const cloned = JSON.parse(cairnOk(['clone', url, 'b', '--json'], { cwd: tmp.dir, env })) as { head: string };
    expect(cloned.head).toBe(pushed.refs[0]!.new);
    expect(readFileSync(join(tmp.dir, 'b', 'data.json'), 'utf8')).toBe('{"tls":true}\n');
  });

  it('refuses a server whose certificate it does not trust (exit 8) and creates nothing', () => {
    const r = runCairn(['clone', `${server!.url}/secure`, 'untrusted'], { cwd: tmp.dir });
    expect(r.code).toBe(8);
    expect(r.stderr).toMatch(/certificate/i);
    expect(existsSync(join(tmp.dir, 'untrusted'))).toBe(false);
  });
});

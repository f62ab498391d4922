// The deployment files of the scaled-out server (docs/DEPLOY.md, "Scaling out"; deploy/), checked for
// what can be checked here for real: nginx itself accepts deploy/nginx.conf; every `cairn serve`
// flag that the Kubernetes files, the Dockerfile and DEPLOY.md's shell blocks use is one that
// `cairn serve --help` lists (read from the help, so new flags count once they exist); the
// Kubernetes YAML parses and hangs together (probes, Secrets, ConfigMap, Service); no example puts
// a credential on a command line. The image is not built: no Docker daemon here.
//
// No YAML package is among the dependencies, so the YAML files are read by parseYamlSubset below:
// the block subset they are written in (mappings, sequences, `|` scalars, plain, quoted and JSON
// flow scalars), refusing anything else, so the files stay within what it reads.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../src/sync/protocol/messages.js';
import { CAIRN_BIN, REPO_ROOT } from '../helpers/cli.js';

const NGINX = '/usr/sbin/nginx';
const DEPLOY = join(REPO_ROOT, 'deploy');
const K8S = join(DEPLOY, 'k8s');
const DOC = join(REPO_ROOT, 'docs', 'DEPLOY.md');
const read = (path: string): string => readFileSync(path, 'utf8');
const CREDENTIAL_VARS = ['PGPASSWORD', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'];
// A password inside a database URL: postgres://USER:PASSWORD@HOST.
const URL_PASSWORD = /postgres(?:ql)?:\/\/[^\s/@:'"]+:[^\s/@'"]+@/;

// ---- a YAML subset ------------------------------------------------------------------------------

type Yaml = null | boolean | number | string | Yaml[] | { [key: string]: Yaml };
type YamlMap = { [key: string]: Yaml };

interface Line {
  n: number;
  indent: number;
  text: string;
}

/** The text of a line without its comment (a `#` at the start or after a blank, outside quotes). */
function stripComment(line: string): string {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote !== null) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i).trimEnd();
  }
  return line.trimEnd();
}

function parseYamlSubset(source: string, name: string): Yaml {
  const raw = source.split('\n');
  if (raw.some((l) => l.includes('\t'))) throw new Error(`${name}: a tab character (YAML indents with spaces only)`);
  let i = 0;
  const fail = (n: number, why: string): never => {
    throw new Error(`${name}:${n + 1}: ${why}: '${raw[n]}'`);
  };
  // The next line that has content, without moving past it.
  const peek = (): Line | undefined => {
    for (; i < raw.length; i++) {
      const text = stripComment(raw[i]!);
      if (text.trim() === '') continue;
      if (text.trim() === '---' || text.startsWith('%')) fail(i, 'one document per file, no directives');
      return { n: i, indent: text.length - text.trimStart().length, text: text.trimStart() };
    }
    return undefined;
  };
  const scalar = (s: string, n: number): Yaml => {
    if (s.startsWith('"')) {
      try {
        return JSON.parse(s) as string;
      } catch {
        return fail(n, 'a double-quoted scalar that does not parse');
      }
    }
    if (s.startsWith("'")) {
      if (!/^'(?:[^']|'')*'$/.test(s)) fail(n, 'a single-quoted scalar that does not end');
      return s.slice(1, -1).replace(/''/g, "'");
    }
    if (s.startsWith('[') || s.startsWith('{')) {
      try {
        return JSON.parse(s) as Yaml;
      } catch {
        return fail(n, 'a flow collection this reader takes only as JSON');
      }
    }
    if (/^[&*!%@`|>]/.test(s) || / #|: /.test(s) || s.endsWith(':')) fail(n, 'a construct outside the subset');
    if (/^0[0-7]+$/.test(s)) return parseInt(s, 8); // YAML 1.1, as Kubernetes reads it: 0440 is octal
    if (/^-?(?:0|[1-9]\d*)(?:\.\d+)?$/.test(s)) return Number(s);
    if (s === 'true' || s === 'false') return s === 'true';
    if (s === 'null' || s === '~') return null;
    return s;
  };
  // A `|` or `|-` block: the lines indented deeper than its key, blank ones included.
  const block = (parentIndent: number, keep: boolean): string => {
    const lines: string[] = [];
    let indent = -1;
    for (; i < raw.length; i++) {
      const l = raw[i]!;
      if (l.trim() === '') {
        lines.push('');
        continue;
      }
      const d = l.length - l.trimStart().length;
      if (d <= parentIndent) break;
      if (indent < 0) indent = d;
      if (d < indent) fail(i, 'a block scalar line indented less than its first line');
      lines.push(l.slice(indent));
    }
    while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    return lines.join('\n') + (keep && lines.length > 0 ? '\n' : '');
  };
  const value = (rest: string, line: Line, indent: number): Yaml => {
    if (rest === '|' || rest === '|-') {
      i = line.n + 1;
      return block(indent, rest === '|');
    }
    i = line.n + 1;
    if (rest !== '') return scalar(rest, line.n);
    const next = peek();
    if (next === undefined || next.indent <= indent) return null;
    return node(next.indent);
  };
  const mapping = (indent: number, first?: Line): YamlMap => {
    const out: YamlMap = {};
    for (let line = first ?? peek(); line !== undefined && line.indent === indent; line = peek()) {
      const m = /^([A-Za-z0-9_./-]+|"[^"]+"):(?: +(.*))?$/.exec(line.text);
      if (m === null || line.text.startsWith('-')) return fail(line.n, 'expected `key: value` in a mapping');
      const key = m[1]!.startsWith('"') ? (JSON.parse(m[1]!) as string) : m[1]!;
      if (Object.prototype.hasOwnProperty.call(out, key)) fail(line.n, `key '${key}' twice`);
      out[key] = value((m[2] ?? '').trim(), line, indent);
    }
    const after = peek();
    if (after !== undefined && after.indent > indent) fail(after.n, 'indented deeper than its mapping');
    return out;
  };
  const sequence = (indent: number): Yaml[] => {
    const out: Yaml[] = [];
    for (let line = peek(); line !== undefined && line.indent === indent && /^-(?: |$)/.test(line.text); line = peek()) {
      const rest = line.text.slice(1).trimStart();
      if (rest === '') out.push(value('', line, indent));
      else if (/^([A-Za-z0-9_./-]+|"[^"]+"):(?: |$)/.test(rest))
        // `- key: value`: a mapping whose keys line up with this first one.
        out.push(
          mapping(indent + line.text.length - rest.length, { n: line.n, indent: indent + line.text.length - rest.length, text: rest }),
        );
      else {
        i = line.n + 1;
        out.push(scalar(rest, line.n));
      }
    }
    return out;
  };
  const node = (indent: number): Yaml => {
    const line = peek();
    if (line === undefined) return null;
    return /^-(?: |$)/.test(line.text) ? sequence(indent) : mapping(indent);
  };
  const first = peek();
  if (first === undefined) throw new Error(`${name}: empty`);
  if (first.indent !== 0) fail(first.n, 'the document must start at column 0');
  const doc = node(0);
  const rest = peek();
  if (rest !== undefined) fail(rest.n, 'unexpected line');
  return doc;
}

function isMap(v: Yaml | undefined): v is YamlMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The value at a path of keys and indexes, or a test failure naming where the path stopped. */
function at(v: Yaml, ...path: (string | number)[]): Yaml {
  let cur: Yaml = v;
  const done: (string | number)[] = [];
  for (const p of path) {
    const next: Yaml | undefined = typeof p === 'number' ? (Array.isArray(cur) ? cur[p] : undefined) : isMap(cur) ? cur[p] : undefined;
    if (next === undefined) throw new Error(`no ${[...done, p].join('.')}`);
    done.push(p);
    cur = next;
  }
  return cur;
}

function loadK8s(file: string): YamlMap {
  const doc = parseYamlSubset(read(join(K8S, file)), `deploy/k8s/${file}`);
  if (!isMap(doc)) throw new Error(`deploy/k8s/${file} is not a mapping`);
  return doc;
}

// ---- the flags: used and known -------------------------------------------------------------------

/** The long options `cairn serve --help` lists (its Options block, not the examples after it). */
function helpFlags(): Set<string> {
  const r = spawnSync(process.execPath, [CAIRN_BIN, 'serve', '--help'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`\`cairn serve --help\` exited ${r.status} (is cairn built? \`npm run build\`):\n${r.stderr}`);
  const lines = r.stdout.split('\n');
  const start = lines.findIndex((l) => l.trim() === 'Options:');
  if (start < 0) throw new Error(`no Options: in \`cairn serve --help\`:\n${r.stdout}`);
  const flags = new Set<string>();
  for (const l of lines.slice(start + 1)) {
    if (l.trim() === '') break;
    const m = /^ {2}(?:-[A-Za-z], )?(--[a-z0-9][a-z0-9-]*)/.exec(l);
    if (m !== null) flags.add(m[1]!);
  }
  return flags;
}

/** The long flags of a `cairn serve` command, from the words after `serve` up to a shell operator. */
function serveFlags(words: string[]): string[] {
  const serve = words.indexOf('serve');
  if (serve < 0) return [];
  const flags: string[] = [];
  for (const w of words.slice(serve + 1)) {
    if (['|', '||', '&&', ';', '&'].includes(w) || /^\d?>/.test(w)) break;
    if (w.startsWith('--')) flags.push(w.split('=')[0]!);
  }
  return flags;
}

/** `--s3-endpoint` for CAIRN_SERVE_S3_ENDPOINT; `--cache-dir` for the config key cacheDir. */
const flagOfEnv = (name: string): string => `--${name.slice('CAIRN_SERVE_'.length).toLowerCase().replace(/_/g, '-')}`;
const flagOfKey = (key: string): string => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
// Config keys that are no flag: credentials come from the environment or the file, never a flag.
const CONFIG_ONLY_KEYS = new Set(['awsAccessKeyId', 'awsSecretAccessKey']);

interface Block {
  lang: string;
  body: string;
}

function fencedBlocks(markdown: string): Block[] {
  return [...markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1]!, body: m[2]! }));
}

const SHELL = new Set(['sh', 'bash', 'shell', 'console']);

/** DEPLOY.md's `cairn serve` command lines: the shell blocks' and a systemd unit's ExecStart=. */
function docServeCommands(): string[][] {
  const commands: string[][] = [];
  for (const b of fencedBlocks(read(DOC))) {
    if (!SHELL.has(b.lang) && b.lang !== 'ini') continue;
    for (const line of b.body.replace(/\\\n\s*/g, ' ').split('\n')) {
      const words = (SHELL.has(b.lang) ? stripComment(line) : line).trim().split(/\s+/);
      const serve = words.indexOf('serve');
      // cairn, /usr/bin/cairn, ExecStart=/usr/bin/cairn, or an image: cairn:0.1.0, registry/cairn:tag
      if (serve > 0 && /(?:^|[/=])cairn(?::[\w.-]+)?$/.test(words[serve - 1]!)) commands.push(words);
    }
  }
  return commands;
}

/** Every flag the deploy files and DEPLOY.md use, with where each is used. */
function usedFlags(): Map<string, Set<string>> {
  const used = new Map<string, Set<string>>();
  const use = (flag: string, where: string) => used.set(flag, (used.get(flag) ?? new Set()).add(where));

  for (const words of docServeCommands()) for (const f of serveFlags(words)) use(f, 'docs/DEPLOY.md');
  for (const b of fencedBlocks(read(DOC)).filter((b) => b.lang === 'json')) {
    const config = JSON.parse(b.body) as Record<string, unknown>;
    for (const k of Object.keys(config)) if (!CONFIG_ONLY_KEYS.has(k)) use(flagOfKey(k), 'docs/DEPLOY.md (config file)');
  }

  for (const line of read(join(DEPLOY, 'Dockerfile')).split('\n')) {
    const m = /^(CMD|ENTRYPOINT)\s+(\[.*\])\s*$/.exec(line);
    if (m !== null) for (const f of serveFlags(JSON.parse(m[2]!) as string[])) use(f, `deploy/Dockerfile ${m[1]}`);
  }

  const deployment = loadK8s('deployment.yaml');
  for (const c of at(deployment, 'spec', 'template', 'spec', 'containers') as YamlMap[]) {
    const words = [...((c['command'] as string[] | undefined) ?? []), ...((c['args'] as string[] | undefined) ?? [])];
    for (const f of serveFlags(words)) use(f, 'deploy/k8s/deployment.yaml args');
    for (const e of (c['env'] as YamlMap[] | undefined) ?? [])
      if (String(e['name']).startsWith('CAIRN_SERVE_')) use(flagOfEnv(String(e['name'])), 'deploy/k8s/deployment.yaml env');
  }
  const configMap = loadK8s('configmap.yaml');
  for (const [k, v] of Object.entries(at(configMap, 'data') as YamlMap)) {
    if (k.startsWith('CAIRN_SERVE_')) use(flagOfEnv(k), 'deploy/k8s/configmap.yaml');
    if (k.endsWith('.json'))
      for (const key of Object.keys(JSON.parse(String(v)) as object))
        if (!CONFIG_ONLY_KEYS.has(key)) use(flagOfKey(key), `deploy/k8s/configmap.yaml ${k}`);
  }
  return used;
}

// ---- nginx ---------------------------------------------------------------------------------------

/** An nginx time (`3600s`, `1h`, `500ms`, `60`) in milliseconds. */
function nginxMs(v: string): number {
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(v);
  if (m === null) throw new Error(`not an nginx time: ${v}`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}

describe('deploy/nginx.conf', () => {
  const file = join(DEPLOY, 'nginx.conf');
  const conf = read(file).split('\n').map(stripComment).join('\n');
  const directive = (name: string, scope = conf): string[] =>
    [...scope.matchAll(new RegExp(`(?:^|[\\s;{])${name}\\s+([^;]*);`, 'g'))].map((m) => m[1]!.trim());
  const dir = mkdtempSync(join(tmpdir(), 'cairn-deploy-nginx-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is accepted by nginx -t (run under a prefix of its own: logs, pid and temp folders in a temporary folder)', () => {
    if (!existsSync(NGINX))
      throw new Error(`nginx is not installed at ${NGINX}: install it with 'bash scripts/services.sh install' (as root)`);
    mkdirSync(join(dir, 'logs'));
    const r = spawnSync(NGINX, ['-p', `${dir}/`, '-c', file, '-t'], { encoding: 'utf8' });
    expect(r.status, `nginx -t refused deploy/nginx.conf:\n${r.stderr}`).toBe(0);
    expect(r.stderr).toContain('test is successful');
  });

  it('balances three servers on 127.0.0.1:7071-7073 from :8080, with passive health checks', () => {
    expect(directive('listen')).toContain('8080');
    const upstream = /upstream\s+cairn\s*\{([^}]*)\}/.exec(conf)?.[1];
    expect(upstream, 'an upstream named cairn').toBeDefined();
    const servers = directive('server', upstream);
    expect(servers.map((s) => s.split(/\s+/)[0])).toEqual(['127.0.0.1:7071', '127.0.0.1:7072', '127.0.0.1:7073']);
    for (const s of servers) expect(s, 'passive health: max_fails on every server').toMatch(/\bmax_fails=\d+/);
    // Kept-alive upstream connections close before the servers close them (--keep-alive-timeout).
    const keepalive = directive('keepalive_timeout', upstream);
    expect(keepalive).toHaveLength(1);
    expect(nginxMs(keepalive[0]!)).toBeLessThan(DEFAULT_LIMITS.keepAliveTimeoutMs);
    expect(directive('proxy_pass')).toContain('http://cairn');
  });

  it('streams bodies, leaves size limits to cairn, waits at least the request timeout, and forwards the client address', () => {
    expect(directive('proxy_request_buffering')).toEqual(['off']);
    expect(directive('proxy_buffering')).toEqual(['off']);
    expect(directive('proxy_http_version')).toEqual(['1.1']);
    expect(directive('client_max_body_size')).toEqual(['0']);
    for (const t of ['proxy_read_timeout', 'proxy_send_timeout', 'client_body_timeout', 'send_timeout']) {
      const v = directive(t);
      expect(v, t).toHaveLength(1);
      expect(nginxMs(v[0]!), `${t} below --request-timeout's default`).toBeGreaterThanOrEqual(DEFAULT_LIMITS.requestTimeoutMs);
    }
    expect(directive('proxy_set_header')).toContain('X-Forwarded-For $proxy_add_x_forwarded_for');
    // No request header in the access log: tokens travel in Authorization.
    expect(conf).not.toMatch(/\$http_authorization|\$http_/);
  });
});

describe('cairn serve flags in the deploy files and DEPLOY.md', () => {
  it('every flag used is one that `cairn serve --help` lists', () => {
    const used = usedFlags();
    // The extraction found something in every source (else this test would prove nothing).
    const sources = new Set([...used.values()].flatMap((w) => [...w].map((s) => s.split(' ')[0])));
    expect([...sources].sort()).toEqual(['deploy/Dockerfile', 'deploy/k8s/configmap.yaml', 'deploy/k8s/deployment.yaml', 'docs/DEPLOY.md']);
    expect(docServeCommands().length, "DEPLOY.md's cairn serve command lines").toBeGreaterThanOrEqual(4);
    const known = helpFlags();
    expect(known.has('--root') && known.has('--tokens'), 'the help lists the existing flags').toBe(true);
    const missing = [...used].filter(([f]) => !known.has(f)).map(([f, where]) => `${f} (${[...where].join(', ')})`);
    expect(missing, `flags used but not in \`cairn serve --help\`:\n  ${missing.join('\n  ')}\n`).toEqual([]);
  });
});

describe('deploy/k8s', () => {
  it('every file parses, as the kind it is', () => {
    const files = readdirSync(K8S).filter((f) => f.endsWith('.yaml'));
    expect(files.sort()).toEqual(['configmap.yaml', 'deployment.yaml', 'service.yaml']);
    const kinds = Object.fromEntries(files.map((f) => [f, loadK8s(f)['kind']]));
    expect(kinds).toEqual({ 'configmap.yaml': 'ConfigMap', 'deployment.yaml': 'Deployment', 'service.yaml': 'Service' });
    for (const f of files) expect(typeof at(loadK8s(f), 'metadata', 'name'), f).toBe('string');
  });

  it('the Deployment runs 3 servers, probes /healthz for liveness and /readyz for readiness, on its own port', () => {
    const d = loadK8s('deployment.yaml');
    expect(at(d, 'apiVersion')).toBe('apps/v1');
    expect(at(d, 'spec', 'replicas')).toBe(3);
    const c = at(d, 'spec', 'template', 'spec', 'containers', 0);
    const ports = (at(c, 'ports') as YamlMap[]).map((p) => [p['name'], p['containerPort']]);
    expect(ports).toEqual([['http', 7070]]);
    expect(at(c, 'livenessProbe', 'httpGet', 'path')).toBe('/healthz');
    expect(at(c, 'readinessProbe', 'httpGet', 'path')).toBe('/readyz');
    for (const probe of ['livenessProbe', 'readinessProbe']) expect(at(c, probe, 'httpGet', 'port'), probe).toBe('http');
    const args = at(c, 'args') as string[];
    expect(args[args.indexOf('--port') + 1]).toBe('7070');
    expect(args[0]).toBe('serve');
    expect(at(d, 'spec', 'template', 'spec', 'securityContext', 'runAsNonRoot')).toBe(true);
    // The selector picks the template's pods.
    const labels = at(d, 'spec', 'template', 'metadata', 'labels') as YamlMap;
    for (const [k, v] of Object.entries(at(d, 'spec', 'selector', 'matchLabels') as YamlMap)) expect(labels[k], k).toBe(v);
  });

  it('credentials come from Secrets only; settings from the ConfigMap, whose config has no secret', () => {
    const d = loadK8s('deployment.yaml');
    const cm = loadK8s('configmap.yaml');
    const cmName = at(cm, 'metadata', 'name');
    const data = at(cm, 'data') as YamlMap;
    const c = at(d, 'spec', 'template', 'spec', 'containers', 0) as YamlMap;
    const env = new Map((at(c, 'env') as YamlMap[]).map((e) => [String(e['name']), e]));
    for (const v of CREDENTIAL_VARS) {
      const e = env.get(v);
      expect(e, `${v} in the container's env`).toBeDefined();
      expect(e!['value'], `${v} has no literal value`).toBeUndefined();
      expect(typeof at(e!, 'valueFrom', 'secretKeyRef', 'name'), `${v} from a Secret`).toBe('string');
    }
    for (const [name, e] of env) {
      if (CREDENTIAL_VARS.includes(name)) continue;
      const ref = at(e, 'valueFrom', 'configMapKeyRef') as YamlMap;
      expect(ref['name'], name).toBe(cmName);
      expect(Object.keys(data), `${name}'s key in the ConfigMap`).toContain(ref['key']);
    }
    // The config file is the ConfigMap's, mounted where --config reads it; the tokens a Secret's.
    const volumes = new Map((at(d, 'spec', 'template', 'spec', 'volumes') as YamlMap[]).map((v) => [String(v['name']), v]));
    const mounts = new Map((at(c, 'volumeMounts') as YamlMap[]).map((m) => [String(m['mountPath']), String(m['name'])]));
    const args = at(c, 'args') as string[];
    const volumeOf = (path: string): YamlMap => {
      const dirOf = path.slice(0, path.lastIndexOf('/'));
      const v = volumes.get(mounts.get(dirOf) ?? '');
      if (v === undefined) throw new Error(`no volume mounted at ${dirOf}`);
      return v;
    };
    const config = args[args.indexOf('--config') + 1]!;
    expect(at(volumeOf(config), 'configMap', 'name')).toBe(cmName);
    const configKey = config.slice(config.lastIndexOf('/') + 1);
    const tokens = args[args.indexOf('--tokens') + 1]!;
    expect(typeof at(volumeOf(tokens), 'secret', 'secretName')).toBe('string');

    const json = JSON.parse(String(data[configKey])) as Record<string, unknown>;
    expect(Object.keys(json).sort()).toEqual(['cacheDir', 'cacheSize', 'db', 'objects', 's3Endpoint', 's3Region']);
    expect(new URL(String(json['db'])).password, 'no password in the ConfigMap: PGPASSWORD is a Secret').toBe('');
    for (const v of CREDENTIAL_VARS) expect(Object.keys(data)).not.toContain(v);
    // The cache directory is a volume of its own, not the read-only root file system.
    expect(mounts.has(String(json['cacheDir'])), 'cacheDir is a mounted volume').toBe(true);
  });

  it("the Service sends its port to the Deployment pods' named port", () => {
    const s = loadK8s('service.yaml');
    const d = loadK8s('deployment.yaml');
    const labels = at(d, 'spec', 'template', 'metadata', 'labels') as YamlMap;
    for (const [k, v] of Object.entries(at(s, 'spec', 'selector') as YamlMap)) expect(labels[k], k).toBe(v);
    const names = (at(d, 'spec', 'template', 'spec', 'containers', 0, 'ports') as YamlMap[]).map((p) => p['name']);
    for (const p of at(s, 'spec', 'ports') as YamlMap[]) expect(names).toContain(p['targetPort']);
  });

  it('the subset reader refuses what it does not read', () => {
    expect(() => parseYamlSubset('a: 1\n\tb: 2\n', 't')).toThrow(/tab/);
    expect(() => parseYamlSubset('a: 1\na: 2\n', 't')).toThrow(/twice/);
    expect(() => parseYamlSubset('a: &x 1\n', 't')).toThrow(/outside the subset/);
    expect(() => parseYamlSubset('a:\n  b: 1\n   c: 2\n', 't')).toThrow(/deeper/);
    expect(parseYamlSubset('a:\n  - b: "x" # c\n    c: [1, 2]\n  - 0440\nd: |\n  {\n    "k": 1\n  }\n', 't')).toEqual({
      a: [{ b: 'x', c: [1, 2] }, 0o440],
      d: '{\n  "k": 1\n}\n',
    });
  });
});

describe('no credentials on command lines or in the deploy files', () => {
  it("DEPLOY.md's shell blocks pass credentials by environment files or Secrets, never as arguments", () => {
    const doc = read(DOC);
    expect(doc).not.toMatch(URL_PASSWORD);
    for (const b of fencedBlocks(doc).filter((b) => SHELL.has(b.lang))) {
      const code = b.body.split('\n').map(stripComment).join('\n');
      for (const v of CREDENTIAL_VARS) expect(code, `${v}=... in a shell block`).not.toMatch(new RegExp(`\\b${v}=`));
      expect(code, 'kubectl --from-literal puts the value on the command line').not.toContain('--from-literal');
    }
  });

  it('no deploy file holds a credential', () => {
    for (const f of ['nginx.conf', 'Dockerfile', 'k8s/configmap.yaml', 'k8s/deployment.yaml', 'k8s/service.yaml']) {
      const text = read(join(DEPLOY, f));
      expect(text, f).not.toMatch(URL_PASSWORD);
      for (const v of CREDENTIAL_VARS) expect(text, `${f}: ${v} set`).not.toMatch(new RegExp(`\\b${v}\\s*[=:]\\s*\\S`));
    }
  });
});

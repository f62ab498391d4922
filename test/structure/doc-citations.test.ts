// docs/FORMAT.md and docs/PROTOCOL.md are the authority the code cites by section. A citation
// must name a section that exists (a renumbered spec must not leave the code pointing at the wrong
// rule), and the files that own a format or protocol rule must cite one.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

function sections(doc: string): Set<string> {
  const out = new Set<string>();
  for (const line of readFileSync(join(root, 'docs', doc), 'utf8').split('\n')) {
    const m = /^#{2,4} (\d+(?:\.\d+)*)[. ]/.exec(line);
    if (m) out.add(m[1]!);
  }
  return out;
}

function files(dir: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.(ts|md)$/.test(e.name))
    .map((e) => relative(root, join(e.parentPath, e.name)));
}

interface Citation {
  file: string;
  line: number;
  doc: string;
  section: string;
}

/** Every `§N` on a line that names exactly one of the two documents, as `docs/X.md` or `X §N`. */
function citations(file: string): Citation[] {
  const out: Citation[] = [];
  readFileSync(join(root, file), 'utf8')
    .split('\n')
    .forEach((text, i) => {
      const docs = new Set(
        [...text.matchAll(/\b(FORMAT|PROTOCOL)(?:\.md)? ?§/g), ...text.matchAll(/docs\/(FORMAT|PROTOCOL)\.md/g)].map((m) => m[1]!),
      );
      if (docs.size !== 1) return;
      const doc = `${[...docs][0]!}.md`;
      for (const m of text.matchAll(/§(\d+(?:\.\d+)*)(?:-(\d+(?:\.\d+)*))?/g)) {
        out.push({ file, line: i + 1, doc, section: m[1]! });
        if (m[2] !== undefined) out.push({ file, line: i + 1, doc, section: m[2] });
      }
    });
  return out;
}

describe('spec citations', () => {
  const known: Record<string, Set<string>> = { 'FORMAT.md': sections('FORMAT.md'), 'PROTOCOL.md': sections('PROTOCOL.md') };
  const all = ['src', 'test', 'docs'].flatMap(files).flatMap(citations);

  it('numbers each section once (two sections named 7.1 make every citation of 7.1 ambiguous)', () => {
    for (const doc of ['FORMAT.md', 'PROTOCOL.md']) {
      const numbers = readFileSync(join(root, 'docs', doc), 'utf8')
        .split('\n')
        .map((line) => /^#{2,4} (\d+(?:\.\d+)*)[. ]/.exec(line)?.[1])
        .filter((n) => n !== undefined);
      expect(
        numbers.filter((n, i) => numbers.indexOf(n) !== i),
        doc,
      ).toEqual([]);
    }
  });

  it('finds the documents numbered and the code citing them', () => {
    expect(known['FORMAT.md']!.has('15.1')).toBe(true);
    expect(known['PROTOCOL.md']!.has('6.3')).toBe(true);
    expect(all.length).toBeGreaterThan(30);
  });

  it('every cited section exists', () => {
    const dangling = all.filter((c) => !known[c.doc]!.has(c.section)).map((c) => `${c.file}:${c.line} cites ${c.doc} §${c.section}`);
    expect(dangling).toEqual([]);
  });

  it('the files that own format and protocol rules cite their section', () => {
    const owners = [
      'src/core/hash.ts',
      'src/core/varint.ts',
      'src/core/chunker.ts',
      'src/core/file-object.ts',
      'src/core/tree-object.ts',
      'src/core/commit-object.ts',
      'src/store/database.ts',
      'src/store/worktree-index.ts',
      'src/store/atomic-file.ts',
      ...files('src/sync/protocol'),
    ];
    const citing = new Set(all.map((c) => c.file));
    expect(owners.filter((f) => !citing.has(f))).toEqual([]);
  });
});

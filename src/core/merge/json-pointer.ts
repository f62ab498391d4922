// JSON Pointers (RFC 6901) over the json model: spelling, parsing, and finding what a pointer names.
import { BadFormatError } from '../../errors.js';
import { JsonObject, type JsonValue } from './json-value.js';

export function escapePointerToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** '' names the whole document; '/a/0' the first element of key 'a'. */
export function formatPointer(tokens: readonly string[]): string {
  let out = '';
  for (const t of tokens) out += '/' + escapePointerToken(t);
  return out;
}

export function appendPointer(pointer: string, token: string | number): string {
  return `${pointer}/${typeof token === 'number' ? token : escapePointerToken(token)}`;
}

export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/'))
    throw new BadFormatError('JSON Pointer', `${JSON.stringify(pointer)} must be empty or start with '/'`, { pointer });
  return pointer
    .slice(1)
    .split('/')
    .map((t) => {
      if (/~(?![01])/.test(t))
        throw new BadFormatError('JSON Pointer', `${JSON.stringify(pointer)} has a '~' not followed by 0 or 1`, { pointer });
      return t.replace(/~1/g, '/').replace(/~0/g, '~');
    });
}

/** An array index token: digits without leading zeros ('-' is handled by callers that accept it). */
export function arrayIndex(token: string, length: number, pointer: string, allowEnd: boolean): number {
  if (allowEnd && token === '-') return length;
  if (!/^(0|[1-9][0-9]*)$/.test(token))
    throw new BadFormatError('JSON Pointer', `${JSON.stringify(token)} in ${pointer} is not an array index`, { pointer });
  const i = Number(token);
  if (i > length || (i === length && !allowEnd))
    throw new BadFormatError('JSON Pointer', `index ${i} in ${pointer} is past the end of an array of ${length}`, { pointer });
  return i;
}

/** The value a pointer names, or undefined when nothing is there. */
export function getAtPointer(doc: JsonValue, pointer: string): JsonValue | undefined {
  let cur: JsonValue | undefined = doc;
  for (const token of parsePointer(pointer)) {
    if (Array.isArray(cur)) {
      if (!/^(0|[1-9][0-9]*)$/.test(token)) return undefined;
      cur = cur[Number(token)];
    } else if (cur instanceof JsonObject) cur = cur.get(token);
    else return undefined;
    if (cur === undefined) return undefined;
  }
  return cur;
}

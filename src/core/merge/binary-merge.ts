// The binary driver: bytes cannot be merged, so a file changed on both sides (differently) is a conflict.
import type { MergeDriver, MergeInput, MergeOutput } from './types.js';

/** git's rule (buffer_is_binary): a NUL byte in the first 8000 bytes. */
export function looksBinary(buf: Buffer): boolean {
  return buf.subarray(0, 8000).includes(0);
}

export const mergeBinary: MergeDriver = (input: MergeInput): MergeOutput => {
  const { base, ours, theirs } = input;
  if (ours.equals(theirs)) return clean(ours);
  if (base !== null && base.equals(ours)) return clean(theirs);
  if (base !== null && base.equals(theirs)) return clean(ours);
  if (input.favor) return { content: Buffer.from(input.favor === 'ours' ? ours : theirs), conflicts: [], settled: 1 };
  // The bytes themselves stay in the three versions; the report says which sides differ and by how much.
  return {
    content: Buffer.from(ours),
    conflicts: [
      {
        location: '',
        kind: base === null ? 'add-add' : 'binary',
        ...(base === null ? {} : { base: { size: base.length } }),
        ours: { size: ours.length },
        theirs: { size: theirs.length },
      },
    ],
    settled: 0,
  };
};

function clean(content: Buffer): MergeOutput {
  return { content: Buffer.from(content), conflicts: [], settled: 0 };
}

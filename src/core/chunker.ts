// Content-defined chunking (FastCDC-style: gear hash, normalized chunking). The parameters, the gear
// table and the masks are part of the storage format (docs/FORMAT.md §6): changing any of them changes every chunk id.
import { createHash } from 'node:crypto';

/** Smallest chunk, except a file's last chunk (which may be shorter). */
export const CHUNK_MIN = 8 * 1024;
/** Target ("normal") size: the harder mask applies below it, the easier one above it. */
export const CHUNK_AVG = 32 * 1024;
/** Largest chunk: a cut is forced here. */
export const CHUNK_MAX = 128 * 1024;

/**
 * Cut masks: a chunk ends after the byte whose gear hash has all mask bits zero. 17 bits (p = 2^-17)
 * while the chunk is at most CHUNK_AVG bytes long, 13 bits (p = 2^-13) after that; this pulls sizes
 * towards CHUNK_AVG (FastCDC "normalized chunking", level 2). The hard mask's bits are spread over
 * bits 31..9 (bit 31 - floor(k * 24 / 17), k < 17) because the gear hash shifts left: bit b depends
 * on the last b + 1 bytes only, so high bits see the most context. The easy mask is 13 of those 17
 * bits (the k-th, k = floor(j * 17 / 13), j < 13), so a position that cuts under the hard mask also
 * cuts under the easy one: an insertion that pushes a cut past CHUNK_AVG does not lose it, which
 * helps the chunks after an edit to re-synchronise.
 */
export const CHUNK_MASK_HARD = 0xeddbb600;
export const CHUNK_MASK_EASY = 0xe9cb3400;

/**
 * The gear table: GEAR[i] = the first 4 bytes, read as a big-endian uint32, of
 * SHA-256("cairn-gear-v1:" + i), i written in decimal ASCII (e.g. "cairn-gear-v1:7").
 */
export const GEAR: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    table[i] = createHash('sha256').update(`cairn-gear-v1:${i}`, 'ascii').digest().readUInt32BE(0);
  }
  return table;
})();

// The hot loop reads a private int32 copy of GEAR (same bits) and stays in int32 arithmetic (`| 0`),
// which V8 keeps untagged in registers. A private copy also means that writing into the exported
// GEAR cannot change how files are cut.
const G = new Int32Array(GEAR.buffer.slice(0));
const MASK_S = CHUNK_MASK_HARD | 0;
const MASK_L = CHUNK_MASK_EASY | 0;

/** Where a scan left off inside an unfinished chunk. */
interface ScanState {
  /** Bytes of the current chunk seen so far. */
  len: number;
  /** Gear hash over the chunk's bytes from offset CHUNK_MIN on (0 before that). */
  hash: number;
}

/** The hash where gearScan stopped, when it found no cut. */
let scanHash = 0;

/**
 * The hot loop, kept alone in a small function whose every exit is taken often, so that V8 optimizes
 * it once and for all: with the bookkeeping of `scan` inline, rarely taken paths (a push ending
 * mid-chunk, a forced cut) lacked type feedback and deoptimized the loop again and again (measured:
 * 650 MB/s for the first 512 MiB of a stream instead of 950).
 * Returns the index just past the first byte in buf[i, lim) after which (hash & mask) === 0, or -1
 * (then the final hash is in scanHash).
 */
function gearScan(buf: Uint8Array, i: number, lim: number, h: number, mask: number): number {
  for (; i < lim; i++) {
    h = ((h << 1) + G[buf[i]!]!) | 0;
    if ((h & mask) === 0) return i + 1;
  }
  scanHash = h;
  return -1;
}

/**
 * The cut rule, resumable. Continues the chunk described by `st` over buf[pos, end). Returns the
 * index in `buf` just past the chunk's last byte, resetting `st` for the next chunk, or -1 when
 * `end` comes first (then `st` describes the still unfinished chunk).
 *
 * For the byte at chunk offset k >= CHUNK_MIN: hash = (hash << 1) + GEAR[byte] (mod 2^32), and the
 * chunk ends after that byte (length k + 1) if hash & mask === 0, mask being CHUNK_MASK_HARD when
 * k + 1 <= CHUNK_AVG and CHUNK_MASK_EASY after; at length CHUNK_MAX it ends regardless. Bytes below
 * offset CHUNK_MIN are not hashed at all (FastCDC's cut-point skipping), which is most of the speed.
 */
function scan(buf: Uint8Array, pos: number, end: number, st: ScanState): number {
  let i = pos;
  let n = st.len;
  if (n < CHUNK_MIN) {
    const skip = Math.min(CHUNK_MIN - n, end - i);
    i += skip;
    n += skip;
    if (n < CHUNK_MIN) {
      st.len = n;
      return -1;
    }
  }
  let h = st.hash;
  const base = i - n; // index in buf of the chunk's offset 0 (negative when it began in an earlier buffer)
  let cut = -1;
  if (n < CHUNK_AVG) {
    const lim = Math.min(end, base + CHUNK_AVG);
    cut = gearScan(buf, i, lim, h, MASK_S);
    if (cut < 0) {
      h = scanHash;
      i = lim;
    }
  }
  if (cut < 0 && i < end) {
    const lim = Math.min(end, base + CHUNK_MAX);
    cut = gearScan(buf, i, lim, h, MASK_L);
    if (cut < 0) {
      h = scanHash;
      i = lim;
    }
  }
  if (cut < 0 && i === base + CHUNK_MAX) cut = i;
  if (cut >= 0) {
    st.len = 0;
    st.hash = 0;
    return cut;
  }
  st.len = i - base;
  st.hash = h;
  return -1;
}

/**
 * End offsets of the chunks of a whole buffer (the last one is data.length). Empty input has no
 * chunks; input shorter than CHUNK_MIN is one chunk. Gives the same cuts as Chunker.
 */
export function chunkBoundaries(data: Uint8Array): number[] {
  const ends: number[] = [];
  const st: ScanState = { len: 0, hash: 0 };
  let pos = 0;
  while (pos < data.length) {
    const cut = scan(data, pos, data.length, st);
    pos = cut < 0 ? data.length : cut;
    ends.push(pos);
  }
  return ends;
}

/**
 * Streaming chunker for files too large to hold in memory: feed the file in pieces of any size with
 * push(), then call finish(). The cuts depend only on the bytes, never on how they were split into
 * pushes. Memory held: at most CHUNK_MAX bytes (the unfinished chunk).
 *
 * Ownership of returned chunks:
 * - a chunk that lies wholly inside the `data` of one push() is a subarray of that `data` (no copy):
 *   it is valid as long as the caller leaves that buffer unchanged;
 * - a chunk that spans pushes, and the chunk from finish(), are freshly allocated and the caller's.
 * The chunker copies the bytes it keeps between calls, so the caller may reuse `data` once it is done
 * with the chunks that push() returned. After finish() the chunker is ready for a new file.
 */
export class Chunker {
  private readonly st: ScanState = { len: 0, hash: 0 };
  /** The unfinished chunk's bytes: pending[0, st.len). */
  private pending: Buffer | null = null;

  push(data: Buffer): Buffer[] {
    const out: Buffer[] = [];
    const end = data.length;
    let start = 0;
    while (start < end) {
      const kept = this.st.len;
      const cut = scan(data, start, end, this.st);
      if (cut < 0) {
        this.keep(data, start, end, kept);
        break;
      }
      if (kept > 0) {
        const chunk = Buffer.allocUnsafe(kept + cut - start);
        this.pending!.copy(chunk, 0, 0, kept);
        data.copy(chunk, kept, start, cut);
        out.push(chunk);
      } else {
        out.push(data.subarray(start, cut));
      }
      start = cut;
    }
    return out;
  }

  finish(): Buffer[] {
    const len = this.st.len;
    this.st.len = 0;
    this.st.hash = 0;
    if (len === 0) return [];
    // A copy, so that a short last chunk does not pin the CHUNK_MAX-sized buffer in the caller's memory.
    const last = Buffer.allocUnsafe(len);
    this.pending!.copy(last, 0, 0, len);
    return [last];
  }

  private keep(data: Buffer, start: number, end: number, kept: number): void {
    this.pending ??= Buffer.allocUnsafe(CHUNK_MAX);
    data.copy(this.pending, kept, start, end);
  }
}

// LZF compression as Redis 7.0 uses it for RDB strings (lzf_c.c / lzf_d.c of liblzf 3.6 with
// Redis's settings: HLOG 16, VERY_FAST, matches of 3..264 bytes up to 8 KiB back, a match allowed
// up to the last 3 bytes of the input; later Redis versions stop matching 4 bytes earlier). Written here from the
// format so that DUMP gives Redis's bytes: the same hash, the same candidate rule (a match is
// never taken at offset 0 of the input, as `ref > in_data` in C) and the same re-hashing after a
// match. One difference is unavoidable: C leaves its hash table uninitialised (INIT_HTAB 0), so a
// stale slot from an earlier call can, rarely, offer a match this port does not see.
//
// Format: 000LLLLL + L+1 literal bytes; LLLooooo oooooooo a back-reference of L+2 bytes at
// distance o+1; 111ooooo LLLLLLLL oooooooo one of L+9 bytes.

const HASH_LOG = 16;
const HASH_SIZE = 1 << HASH_LOG;
const MAX_LITERAL = 1 << 5;
const MAX_OFFSET = 1 << 13;
const MAX_REFERENCE = (1 << 8) + (1 << 3);

/** Reused between calls: positions + 1 of the last input offset with each hash (0 = none). */
const table = new Int32Array(HASH_SIZE);

function slot(hash: number): number {
  return ((hash >>> 8) - hash * 5) & (HASH_SIZE - 1);
}

/**
 * Compresses `input` into at most `maxOutput` bytes; undefined when it does not fit (as
 * lzf_compress returning 0, which makes Redis store the string uncompressed).
 */
export function lzfCompress(input: Uint8Array, maxOutput: number): Buffer | undefined {
  const length = input.length;
  if (length === 0 || maxOutput <= 0) return undefined;
  table.fill(0);
  const out = Buffer.allocUnsafe(maxOutput + MAX_LITERAL + 4);
  let op = 0;
  let ip = 0;
  let literal = 0;
  op++; // start a literal run
  let hash = ((input[0] as number) << 8) | (input[1] ?? 0);
  while (ip < length - 2) {
    hash = ((hash << 8) | (input[ip + 2] as number)) & 0xffffff;
    const at = slot(hash);
    const reference = (table[at] as number) - 1;
    table[at] = ip + 1;
    const offset = ip - reference - 1;
    if (
      reference > 0 &&
      offset >= 0 &&
      offset < MAX_OFFSET &&
      input[reference] === input[ip] &&
      input[reference + 1] === input[ip + 1] &&
      input[reference + 2] === input[ip + 2]
    ) {
      let matched = 2;
      const maxMatched = Math.min(length - ip - matched, MAX_REFERENCE);
      if (op - (literal === 0 ? 1 : 0) + 3 + 1 >= maxOutput) return undefined;
      out[op - literal - 1] = literal - 1; // stop the run
      if (literal === 0) op--; // an empty run is undone
      // C compares 16 bytes unrolled first when the match may be long, then continues one by
      // one; near the end of the input that lets a match run past `maxMatched`, kept here.
      let mismatched = false;
      if (maxMatched > 16) {
        for (let step = 0; step < 16; step++) {
          matched++;
          if (input[reference + matched] !== input[ip + matched]) {
            mismatched = true;
            break;
          }
        }
      }
      if (!mismatched) {
        do matched++;
        while (matched < maxMatched && input[reference + matched] === input[ip + matched]);
      }
      matched -= 2; // now bytes - 1
      ip++;
      if (matched < 7) {
        out[op++] = (offset >> 8) + (matched << 5);
      } else {
        out[op++] = (offset >> 8) + (7 << 5);
        out[op++] = matched - 7;
      }
      out[op++] = offset & 0xff;
      literal = 0;
      op++; // start a literal run
      ip += matched + 1;
      if (ip >= length - 2) break;
      // VERY_FAST: re-hash the last two positions of the match.
      ip -= 2;
      hash = ((input[ip] as number) << 8) | (input[ip + 1] as number);
      hash = ((hash << 8) | (input[ip + 2] as number)) & 0xffffff;
      table[slot(hash)] = ip + 1;
      ip++;
      hash = ((hash << 8) | (input[ip + 2] as number)) & 0xffffff;
      table[slot(hash)] = ip + 1;
      ip++;
    } else {
      if (op >= maxOutput) return undefined;
      literal++;
      out[op++] = input[ip++] as number;
      if (literal === MAX_LITERAL) {
        out[op - literal - 1] = literal - 1;
        literal = 0;
        op++;
      }
    }
  }
  if (op + 3 > maxOutput) return undefined;
  while (ip < length) {
    literal++;
    out[op++] = input[ip++] as number;
    if (literal === MAX_LITERAL) {
      out[op - literal - 1] = literal - 1;
      literal = 0;
      op++;
    }
  }
  out[op - literal - 1] = literal - 1; // end the run
  if (literal === 0) op--;
  return out.subarray(0, op);
}

/** Decompresses to exactly `outputLength` bytes; undefined if the data is malformed. */
export function lzfDecompress(input: Uint8Array, outputLength: number): Buffer | undefined {
  const out = Buffer.allocUnsafe(outputLength);
  let ip = 0;
  let op = 0;
  while (ip < input.length) {
    let control = input[ip++] as number;
    if (control < 1 << 5) {
      const count = control + 1;
      if (op + count > outputLength || ip + count > input.length) return undefined;
      for (let i = 0; i < count; i++) out[op++] = input[ip++] as number;
    } else {
      let count = control >> 5;
      if (count === 7) {
        if (ip >= input.length) return undefined;
        count += input[ip++] as number;
      }
      if (ip >= input.length) return undefined;
      control = ((control & 0x1f) << 8) + (input[ip++] as number);
      const reference = op - control - 1;
      count += 2;
      if (op + count > outputLength || reference < 0) return undefined;
      for (let i = 0; i < count; i++) out[op++] = out[reference + i] as number;
    }
  }
  return op === outputLength ? out : undefined;
}

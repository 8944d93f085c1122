// Redis glob-style pattern matching (stringmatchlen in util.c): `*`, `?`, `[abc]`, `[^a-z]`, and
// `\x` to quote a character. Works on latin1 strings, so it is binary-safe. Matching backtracks
// only to the most recent `*`, which keeps it linear-ish on hostile patterns such as `*a*a*a*b`.

export function globMatch(pattern: string, subject: string, noCase = false): boolean {
  let p = 0;
  let s = 0;
  let starP = -1;
  let starS = 0;
  const plen = pattern.length;
  const slen = subject.length;
  while (s < slen) {
    if (p < plen) {
      const pc = pattern.charCodeAt(p);
      if (pc === 42 /* * */) {
        while (p + 1 < plen && pattern.charCodeAt(p + 1) === 42) p++;
        if (p + 1 === plen) return true;
        starP = p;
        starS = s;
        p++;
        continue;
      }
      const step = matchOne(pattern, p, subject.charCodeAt(s), noCase);
      if (step > 0) {
        p += step;
        s++;
        continue;
      }
    }
    if (starP < 0) return false;
    p = starP + 1;
    starS++;
    s = starS;
  }
  while (p < plen && pattern.charCodeAt(p) === 42) p++;
  return p === plen;
}

/** Length of the pattern token at p if it matches the character c, else 0. */
function matchOne(pattern: string, p: number, c: number, noCase: boolean): number {
  const pc = pattern.charCodeAt(p);
  if (pc === 63 /* ? */) return 1;
  if (pc === 92 /* \ */ && p + 1 < pattern.length) {
    return sameChar(pattern.charCodeAt(p + 1), c, noCase) ? 2 : 0;
  }
  if (pc === 91 /* [ */) return matchClass(pattern, p, c, noCase);
  return sameChar(pc, c, noCase) ? 1 : 0;
}

function matchClass(pattern: string, start: number, c: number, noCase: boolean): number {
  let p = start + 1;
  const plen = pattern.length;
  const not = p < plen && pattern.charCodeAt(p) === 94; /* ^ */
  if (not) p++;
  let matched = false;
  while (p < plen && pattern.charCodeAt(p) !== 93 /* ] */) {
    let low = pattern.charCodeAt(p);
    if (low === 92 && p + 1 < plen) {
      p++;
      if (sameChar(pattern.charCodeAt(p), c, noCase)) matched = true;
    } else if (p + 2 < plen && pattern.charCodeAt(p + 1) === 45 /* - */) {
      let high = pattern.charCodeAt(p + 2);
      if (low > high) [low, high] = [high, low];
      let x = c;
      if (noCase) {
        low = lower(low);
        high = lower(high);
        x = lower(x);
      }
      if (x >= low && x <= high) matched = true;
      p += 2;
    } else if (sameChar(low, c, noCase)) {
      matched = true;
    }
    p++;
  }
  // Redis treats a class without its closing bracket as ending at the pattern's end.
  const length = (p < plen ? p + 1 : p) - start;
  return matched !== not ? length : 0;
}

function lower(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

function sameChar(a: number, b: number, noCase: boolean): boolean {
  return a === b || (noCase && lower(a) === lower(b));
}

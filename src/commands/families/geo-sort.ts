// Redis's pqsort.c (Bentley & McIlroy's quicksort, NetBSD's, told to sort only what a range of
// positions needs), ported so that GEOSEARCH … COUNT n orders ties exactly as Redis does: with a
// COUNT below the number of matches, Redis partially sorts with it (a full result is sorted by
// glibc's qsort, a stable merge sort, which Array.prototype.sort matches).

type Compare<T> = (a: T, b: T) => number;

function swap<T>(items: T[], i: number, j: number): void {
  const t = items[i] as T;
  items[i] = items[j] as T;
  items[j] = t;
}

function vectorSwap<T>(items: T[], i: number, j: number, count: number): void {
  for (let k = 0; k < count; k++) swap(items, i + k, j + k);
}

function median3<T>(items: T[], a: number, b: number, c: number, compare: Compare<T>): number {
  const x = items[a] as T;
  const y = items[b] as T;
  const z = items[c] as T;
  return compare(x, y) < 0
    ? compare(y, z) < 0
      ? b
      : compare(x, z) < 0
        ? c
        : a
    : compare(y, z) > 0
      ? b
      : compare(x, z) < 0
        ? a
        : c;
}

function insertionSort<T>(items: T[], start: number, count: number, compare: Compare<T>): void {
  for (let m = start + 1; m < start + count; m++) {
    for (let l = m; l > start && compare(items[l - 1] as T, items[l] as T) > 0; l--) {
      swap(items, l, l - 1);
    }
  }
}

/** _pqsort over items[start, start + count), caring only for positions [left, right]. */
function partialSort<T>(
  items: T[],
  start: number,
  count: number,
  compare: Compare<T>,
  left: number,
  right: number,
): void {
  for (;;) {
    if (count < 7) {
      insertionSort(items, start, count, compare);
      return;
    }
    let pm = start + Math.floor(count / 2);
    if (count > 7) {
      let pl = start;
      let pn = start + count - 1;
      if (count > 40) {
        const d = Math.floor(count / 8);
        pl = median3(items, pl, pl + d, pl + 2 * d, compare);
        pm = median3(items, pm - d, pm, pm + d, compare);
        pn = median3(items, pn - 2 * d, pn - d, pn, compare);
      }
      pm = median3(items, pl, pm, pn, compare);
    }
    swap(items, start, pm);
    let pa = start + 1;
    let pb = pa;
    let pc = start + count - 1;
    let pd = pc;
    let swapped = false;
    for (;;) {
      let result: number;
      while (pb <= pc && (result = compare(items[pb] as T, items[start] as T)) <= 0) {
        if (result === 0) {
          swapped = true;
          swap(items, pa, pb);
          pa++;
        }
        pb++;
      }
      while (pb <= pc && (result = compare(items[pc] as T, items[start] as T)) >= 0) {
        if (result === 0) {
          swapped = true;
          swap(items, pc, pd);
          pd--;
        }
        pc--;
      }
      if (pb > pc) break;
      swap(items, pb, pc);
      swapped = true;
      pb++;
      pc--;
    }
    if (!swapped) {
      insertionSort(items, start, count, compare);
      return;
    }
    const pn = start + count;
    let r = Math.min(pa - start, pb - pa);
    vectorSwap(items, start, pb - r, r);
    r = Math.min(pd - pc, pn - pd - 1);
    vectorSwap(items, pb, pn - r, r);
    r = pb - pa;
    if (r > 1 && !outside(start, start + r - 1, left, right)) {
      partialSort(items, start, r, compare, left, right);
    }
    r = pd - pc;
    if (r <= 1) return;
    start = pn - r;
    count = r;
    if (outside(start, start + r - 1, left, right)) return;
  }
}

/** Both ends of the wanted range lie before or after the slice [first, last]. */
function outside(first: number, last: number, left: number, right: number): boolean {
  return (left < first && right < first) || (left > last && right > last);
}

/** pqsort(items, n, cmp, left, right): positions left..right end up as a full sort puts them. */
export function pqsort<T>(items: T[], compare: Compare<T>, left: number, right: number): void {
  partialSort(items, 0, items.length, compare, left, right);
}

/**
 * Sorts `a[0..n)` (distinct keys) ascending by merging its ascending runs, pass after pass, between `a` and
 * `scratch`; returns the array that holds the result. The encoder's keys are a few sorted runs (one per detect
 * pass, plus the pending list), so this takes a few linear passes, where TypedArray#sort boxes every float64.
 * Sorted input costs one scan and no copy.
 */
export function sortRuns(a: Float64Array, n: number, scratch: Float64Array): Float64Array {
  if (n < 2) return a
  let src = a
  let dst = scratch
  for (;;) {
    let merges = 0
    for (let i = 0; i < n; merges++) {
      let mid = i + 1
      while (mid < n && src[mid - 1] < src[mid]) mid++
      if (i === 0 && mid >= n) return src
      let end = mid
      if (end < n) end++
      while (end < n && src[end - 1] < src[end]) end++
      let p = i
      let q = mid
      let o = i
      while (p < mid && q < end) dst[o++] = src[p] < src[q] ? src[p++] : src[q++]
      while (p < mid) dst[o++] = src[p++]
      while (q < end) dst[o++] = src[q++]
      i = end
    }
    if (merges === 1) return dst
    const t = src
    src = dst
    dst = t
  }
}

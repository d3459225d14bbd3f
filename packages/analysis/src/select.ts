/**
 * The k-th smallest (1-based) of the m·n differences xs[i] − ys[j] of two
 * samples sorted ascending, without materialising them: the differences form
 * a matrix sorted along rows and columns (row i = xs[i] minus ys descending),
 * each row keeps a window of candidate columns, and a random candidate pivot
 * is counted against the whole matrix with a two-pointer sweep (O(m + n)),
 * shrinking every window (Monahan 1984, as randomized quickselect). Expected
 * O((m + n) log(mn)) time and O(m) memory. Differences are compared as
 * computed in floating point, which is monotone, so the result is exactly
 * the element np.sort(x[:, None] − y) would have at k − 1.
 */
export function kthDifference(xs: Float64Array, ys: Float64Array, k: number): number {
  const m = xs.length
  const n = ys.length
  if (!(Number.isInteger(k) && k >= 1 && k <= m * n))
    throw new RangeError(`kth difference: k must be an integer from 1 to ${m * n}, got ${k}`)
  // Candidate columns of row i are [lo[i], hi[i]); column j holds xs[i] − ys[n − 1 − j].
  const lo = new Int32Array(m)
  const hi = new Int32Array(m).fill(n)
  let below = 0 // differences left out of the windows below the answer: Σ lo[i]
  let left = m * n
  const ltRow = new Int32Array(m)
  const leRow = new Int32Array(m)
  let seed = 0x9e3779b9 // a fixed seed: the function stays deterministic
  const random = (): number => {
    // mulberry32
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  for (;;) {
    if (left <= 4096 || left <= m + n) return smallestOfWindows(xs, ys, lo, hi, left, k - below)
    // A uniformly random candidate as the pivot.
    let r = Math.floor(random() * left)
    let row = 0
    while (r >= hi[row] - lo[row]) {
      r -= hi[row] - lo[row]
      row++
    }
    const v = xs[row] - ys[n - 1 - (lo[row] + r)]
    // Count the differences < v and ≤ v in every row; a row's count only falls as xs[i] grows.
    let lt = 0
    let le = 0
    let pLt = 0 // first ys index l whose difference xs[i] − ys[l] is < v
    let pLe = 0 // first ys index l whose difference is ≤ v
    for (let i = 0; i < m; i++) {
      const x = xs[i]
      while (pLt < n && x - ys[pLt] >= v) pLt++
      while (pLe < n && x - ys[pLe] > v) pLe++
      ltRow[i] = n - pLt
      leRow[i] = n - pLe
      lt += n - pLt
      le += n - pLe
    }
    if (k > lt && k <= le) return v
    left = 0
    below = 0
    if (k <= lt) {
      for (let i = 0; i < m; i++) {
        if (hi[i] > ltRow[i]) hi[i] = ltRow[i]
        if (hi[i] < lo[i]) hi[i] = lo[i]
        left += hi[i] - lo[i]
        below += lo[i]
      }
    } else {
      for (let i = 0; i < m; i++) {
        if (lo[i] < leRow[i]) lo[i] = leRow[i]
        if (lo[i] > hi[i]) lo[i] = hi[i]
        left += hi[i] - lo[i]
        below += lo[i]
      }
    }
  }
}

/** The k-th smallest of the few candidates left in the windows, sorted directly. */
function smallestOfWindows(
  xs: Float64Array,
  ys: Float64Array,
  lo: Int32Array,
  hi: Int32Array,
  left: number,
  k: number
): number {
  const n = ys.length
  const rest = new Float64Array(left)
  let at = 0
  for (let i = 0; i < xs.length; i++) for (let j = lo[i]; j < hi[i]; j++) rest[at++] = xs[i] - ys[n - 1 - j]
  rest.sort()
  return rest[k - 1]
}

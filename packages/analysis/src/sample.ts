/** Shared checks and helpers over numeric samples. */

export function assertSample(name: string, xs: readonly number[]): void {
  if (xs.length === 0) throw new RangeError(`${name}: the sample is empty`)
  for (const v of xs) if (!Number.isFinite(v)) throw new RangeError(`${name}: ${v} is not a finite number`)
}

/** A sorted copy (Float64Array sorts numerically and fast). */
export function sorted(xs: readonly number[] | Float64Array): Float64Array {
  return Float64Array.from(xs).sort()
}

export function mean(xs: readonly number[]): number {
  let s = 0
  for (const v of xs) s += v
  return s / xs.length
}

/** Median of a sorted array (average of the two middle values when the length is even). */
export function sortedMedian(s: Float64Array): number {
  const n = s.length
  const h = n >> 1
  return n % 2 === 1 ? s[h] : (s[h - 1] + s[h]) / 2
}

/** Σ(t³ − t) over the groups of equal values of a sorted array: the ties' share of the rank variance. */
export function tieTerm(s: Float64Array): number {
  let term = 0
  for (let i = 0; i < s.length;) {
    let j = i + 1
    while (j < s.length && s[j] === s[i]) j++
    const t = j - i
    term += t * t * t - t
    i = j
  }
  return term
}

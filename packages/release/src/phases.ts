/** Times the named phases of a deploy for its report (ms, to 0.1). */
export function phaseTimer(): {
  timings: Record<string, number>
  time: <T>(name: string, f: () => Promise<T>) => Promise<T>
} {
  const timings: Record<string, number> = {}
  const time = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
    const t0 = performance.now()
    try {
      return await f()
    } finally {
      timings[name] = Math.round((performance.now() - t0) * 10) / 10
    }
  }
  return { timings, time }
}

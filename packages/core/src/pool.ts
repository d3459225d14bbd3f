/** Runs fn over items with at most `concurrency` in flight; results keep input order. */
export async function mapPool<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<R>
): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  const width = Math.max(1, Math.min(concurrency, items.length))
  async function worker(): Promise<void> {
    while (next < items.length) {
      const i = next++
      results[i] = await fn(items[i] as T, i)
    }
  }
  await Promise.all(Array.from({ length: width }, worker))
  return results
}

/**
 * mapPool that lets every call settle: a failure neither stops the calls not yet
 * started nor is thrown, so the caller knows nothing is still running when it
 * reports one. Results keep input order.
 */
export function mapPoolSettled<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<R>
): Promise<PromiseSettledResult<R>[]> {
  return mapPool(items, concurrency, async (item, i): Promise<PromiseSettledResult<R>> => {
    try {
      return { status: 'fulfilled', value: await fn(item, i) }
    } catch (reason) {
      return { status: 'rejected', reason }
    }
  })
}

/** A counting semaphore for work that arrives over time (e.g. a dependency graph). */
export class Semaphore {
  private waiting: Array<() => void> = []
  private active = 0

  constructor(private readonly limit: number) {}

  async acquire(): Promise<() => void> {
    if (this.active >= this.limit) await new Promise<void>((r) => this.waiting.push(r))
    this.active++
    let released = false
    return () => {
      if (released) return
      released = true
      this.active--
      this.waiting.shift()?.()
    }
  }

  async with<R>(fn: () => Promise<R>): Promise<R> {
    const release = await this.acquire()
    try {
      return await fn()
    } finally {
      release()
    }
  }
}

/**
 * Per-host work that does not depend on the other hosts (init, reading state,
 * cleaning, history writes, prune) runs on several hosts at once: each step
 * is a few ssh round trips, and one host after another made a deploy's cost
 * grow with every host added. What it logs still comes out one host after the
 * other, in the targets' order, as when the hosts went one by one.
 */
import { mapPoolSettled } from '@gantry/core'

/**
 * Hosts worked on at once. Each is one ssh process on its own connection to
 * its own host, so the bound is the runner's (processes, and the CPU of the
 * ssh handshakes when the connections start), not any host's.
 */
export const HOST_CONCURRENCY = 8

/** A host's log lines, kept until every host is done. */
export interface HostLines {
  log(line: string): void
  warn(line: string): void
}

/**
 * Runs fn for every item, HOST_CONCURRENCY at a time, and waits for all of
 * them (no host is still changing when a failure is reported). Then prints
 * each item's lines in the items' order and throws the first failure in that
 * order; else returns the results, in order.
 */
export async function eachHost<T, R>(
  items: readonly T[],
  out: { log: (line: string) => void; warn: (line: string) => void },
  fn: (item: T, lines: HostLines, index: number) => Promise<R>
): Promise<R[]> {
  const kept = items.map(() => [] as Array<() => void>)
  const settled = await mapPoolSettled(items, HOST_CONCURRENCY, (item, i) =>
    fn(
      item,
      {
        log: (line) => kept[i].push(() => out.log(line)),
        warn: (line) => kept[i].push(() => out.warn(line))
      },
      i
    )
  )
  for (const k of kept) for (const say of k) say()
  const failed = settled.find((r) => r.status === 'rejected')
  if (failed) throw failed.reason
  return settled.map((r) => (r as PromiseFulfilledResult<R>).value)
}

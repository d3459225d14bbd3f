// Waiting on what a running step prints: a test that must act at a given
// point of a step (release a held request once the step says it is draining)
// waits, with a bound, for the step's own line instead of guessing timing.
import type { ChildProcess } from 'node:child_process'

export interface StdoutWatcher {
  /** Pass as runAction's onSpawn: watches that child's stdout. */
  onSpawn(child: ChildProcess): void
  /**
   * The first whole line matching `re`, printed before or after the call.
   * Rejects after `timeoutMs`, or when the step's stdout ends without one.
   */
  line(re: RegExp, timeoutMs: number, what?: string): Promise<string>
}

interface Waiter {
  re: RegExp
  resolve(line: string): void
  reject(e: Error): void
}

export function stdoutWatcher(): StdoutWatcher {
  const lines: string[] = []
  let partial = ''
  let ended = false
  const waiters = new Set<Waiter>()
  const settle = () => {
    for (const w of waiters) {
      const hit = lines.find((l) => w.re.test(l))
      if (hit !== undefined) w.resolve(hit)
      else if (ended)
        w.reject(new Error(`the step's stdout ended without a line matching ${w.re}:\n${lines.join('\n')}`))
    }
  }
  return {
    onSpawn(child) {
      child.stdout!.on('data', (d: Buffer | string) => {
        const parts = (partial + d.toString()).split(/\r?\n/)
        partial = parts.pop()!
        lines.push(...parts)
        settle()
      })
      child.stdout!.on('close', () => {
        if (partial) lines.push(partial)
        partial = ''
        ended = true
        settle()
      })
    },
    line(re, timeoutMs, what = String(re)) {
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(w)
          reject(
            new Error(`timed out after ${timeoutMs} ms waiting for ${what}; the step printed:\n${lines.join('\n')}`)
          )
        }, timeoutMs)
        const done = () => {
          clearTimeout(timer)
          waiters.delete(w)
        }
        const w: Waiter = {
          re,
          resolve: (l) => {
            done()
            resolve(l)
          },
          reject: (e) => {
            done()
            reject(e)
          }
        }
        waiters.add(w)
        settle()
      })
    }
  }
}

/**
 * Runs ssh/rsync from an argument array (never a local shell), bounded in
 * time: killed when the bound passes (rsync's own ssh child then sees its pipe
 * close and ends; rsync --timeout bounds a stall too). Running children are
 * tracked so a cancelled job can end them before it exits.
 */
import { spawn, type ChildProcess } from 'node:child_process'

export interface RunResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: Buffer
  stderr: string
  timedOut: boolean
  ms: number
}

export interface RunOptions {
  input?: string | Buffer
  timeoutMs: number
  /** Each line of stdout/stderr as it arrives (activate's log). */
  onLine?: (line: string) => void
  env?: NodeJS.ProcessEnv
}

const MAX_STDERR = 64 * 1024

const running = new Set<ChildProcess>()

/** Ends every ssh/rsync still running (a cancelled job: nothing outlives the step). */
export function killRunning(): void {
  for (const c of running) c.kill('SIGKILL')
}

export function runProcess(cmd: string, args: readonly string[], o: RunOptions): Promise<RunResult> {
  return new Promise((resolve) => {
    const t0 = performance.now()
    const out: Buffer[] = []
    let stderr = ''
    let timedOut = false
    const child = spawn(cmd, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      shell: false,
      env: o.env ?? process.env
    })
    running.add(child)
    const lines = (d: Buffer) => {
      if (o.onLine) for (const l of d.toString('utf8').split(/\r?\n/)) if (l !== '') o.onLine(l)
    }
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, o.timeoutMs)
    child.stdout.on('data', (d: Buffer) => {
      out.push(d)
      lines(d)
    })
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString('utf8')).slice(-MAX_STDERR)
      lines(d)
    })
    // The remote side may exit before reading all of stdin; that is its answer, not ours to crash on.
    child.stdin.on('error', () => undefined)
    child.stdin.end(o.input ?? '')
    const done = (code: number | null, signal: NodeJS.Signals | null, extra = '') => {
      clearTimeout(timer)
      running.delete(child)
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out),
        stderr: stderr + extra,
        timedOut,
        ms: performance.now() - t0
      })
    }
    child.on('error', (e) => done(null, null, e.message))
    child.on('close', (code, signal) => done(code, signal))
  })
}

/** The last meaningful line of a tool's stderr, for an error message. */
export function lastLine(text: string): string {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)
  return lines[lines.length - 1] ?? ''
}

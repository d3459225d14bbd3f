/** Runs a command from an argument array (never a shell), bounded in time, keeping the output's tail. */
import { spawn } from 'node:child_process'
import type { ActivateResult } from '../target.js'

const TAIL = 8 * 1024

export function runCommand(
  argv: string[],
  opts: { cwd: string; env: Record<string, string>; timeoutMs: number; onLine?: (line: string) => void }
): Promise<ActivateResult> {
  return new Promise((resolve) => {
    let output = ''
    let timedOut = false
    const keep = (d: Buffer) => {
      const s = d.toString('utf8')
      output = (output + s).slice(-TAIL)
      if (opts.onLine) for (const l of s.split(/\r?\n/)) if (l !== '') opts.onLine(l)
    }
    const child = spawn(argv[0], argv.slice(1), {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: false
    })
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, opts.timeoutMs)
    child.stdout.on('data', keep)
    child.stderr.on('data', keep)
    child.on('error', (e) => {
      clearTimeout(timer)
      resolve({ code: null, signal: null, output: `${output}${e.message}`, timedOut })
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, output, timedOut })
    })
  })
}

/**
 * Runs a program with an argument array (never a shell string) and collects
 * its stdout as a Buffer: git's -z output is binary-safe that way.
 */
import { spawn } from 'node:child_process'

export interface ProcResult {
  code: number
  stdout: Buffer
  stderr: string
}

export class SpawnError extends Error {
  constructor(
    message: string,
    readonly code?: string
  ) {
    super(message)
  }
}

export function runProc(cmd: string, args: readonly string[], cwd: string, timeoutMs = 120_000): Promise<ProcResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true })
    const out: Buffer[] = []
    let err = ''
    child.stdout.on('data', (d: Buffer) => out.push(d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer)
      reject(new SpawnError(`${cmd}: ${e.message}`, e.code))
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code: code ?? 1, stdout: Buffer.concat(out), stderr: err })
    })
  })
}

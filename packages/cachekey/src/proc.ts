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

/**
 * Collects chunks into one buffer as they arrive (doubling when full), so a
 * multi-megabyte output is not copied again after the process has exited.
 */
class ByteSink {
  private buf = Buffer.allocUnsafe(1 << 16)
  private len = 0

  push(d: Buffer): void {
    if (this.len + d.length > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + d.length))
      this.buf.copy(grown, 0, 0, this.len)
      this.buf = grown
    }
    d.copy(this.buf, this.len)
    this.len += d.length
  }

  bytes(): Buffer {
    return this.buf.subarray(0, this.len)
  }
}

/** @param onData sees each stdout chunk, in order, as it arrives (e.g. to hash it while the process runs). */
export function runProc(
  cmd: string,
  args: readonly string[],
  cwd: string,
  timeoutMs = 120_000,
  onData?: (chunk: Buffer) => void
): Promise<ProcResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true })
    const out = new ByteSink()
    let err = ''
    child.stdout.on('data', (d: Buffer) => {
      out.push(d)
      onData?.(d)
    })
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer)
      reject(new SpawnError(`${cmd}: ${e.message}`, e.code))
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code: code ?? 1, stdout: out.bytes(), stderr: err })
    })
  })
}

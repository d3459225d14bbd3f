// Shared benchmark helpers: child servers, timing, markdown.
import { spawn, spawnSync } from 'node:child_process'
import { writeFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'

export const benchDir = new URL('..', import.meta.url).pathname
export const repoRoot = join(benchDir, '..')

/** Starts a node script that prints its port on stdout; returns { port, stop }. */
export async function startChildServer(script, args = []) {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
  const port = await new Promise((resolve, reject) => {
    let buf = ''
    const t = setTimeout(() => reject(new Error(`${script} did not start`)), 10_000)
    child.stdout.setEncoding('utf8').on('data', (d) => {
      buf += d
      const m = buf.match(/^(\d+)\n/)
      if (m) {
        clearTimeout(t)
        resolve(Number(m[1]))
      }
    })
    child.on('exit', (c) => reject(new Error(`${script} exited ${c}`)))
  })
  return {
    port,
    stop: () =>
      new Promise((r) => {
        child.once('exit', r)
        child.kill('SIGTERM')
      })
  }
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor((s.length - 1) / 2)]
}

export const fmt = (n, d = 0) => Number(n).toFixed(d)

export function writeSection(name, markdown) {
  mkdirSync(join(benchDir, 'sections'), { recursive: true })
  writeFileSync(join(benchDir, 'sections', `${name}.md`), markdown.trim() + '\n')
  console.log(markdown)
}

export function hasCommand(cmd) {
  return spawnSync('sh', ['-c', 'command -v "$1"', 'sh', cmd]).status === 0
}

// Small file trees and git work trees for tests: files, git commands, temp dirs removed after the file.
import { afterAll } from '@jest/globals'
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

/** Writes a file, creating its directories. */
export function write(root: string, rel: string, text: string): void {
  mkdirSync(dirname(join(root, rel)), { recursive: true })
  writeFileSync(join(root, rel), text)
}

/** Writes each `path: text` of files below dir; returns dir. */
export function writeFiles(dir: string, files: Record<string, string>): string {
  for (const [p, text] of Object.entries(files)) write(dir, p, text)
  return dir
}

/** Runs git with a fixed identity; its stdout as written, or an error naming the command. */
export function git(cwd: string, ...args: string[]): string {
  const r = spawnSync('git', ['-c', 'user.email=ci@example.com', '-c', 'user.name=ci', ...args], {
    cwd,
    encoding: 'utf8'
  })
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`)
  return r.stdout
}

/** A maker of temp dirs named `<prefix>…`, all removed when the test file ends. */
export function tempDirs(prefix: string): () => string {
  const made: string[] = []
  afterAll(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })))
  return () => {
    const d = mkdtempSync(join(tmpdir(), prefix))
    made.push(d)
    return d
  }
}

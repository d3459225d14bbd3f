// A router-command for tests: writes the weights it gets on stdin to a file
// (what a load balancer's CLI would apply) and prints them back for verify.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** Writes the script into `dir`; returns the router-command line that runs it with `weightsFile`. */
export function lbCommand(dir: string, weightsFile: string): string {
  const script = join(dir, 'lb-set.mjs')
  writeFileSync(
    script,
    [
      "import { readFileSync, writeFileSync } from 'node:fs'",
      "const { weights } = JSON.parse(readFileSync(0, 'utf8'))",
      'writeFileSync(process.argv[2], JSON.stringify(weights))',
      'process.stdout.write(JSON.stringify({ weights }))'
    ].join('\n')
  )
  return `${process.execPath} ${script} ${weightsFile}`
}

// smoke-test is bundled without undici (actions/smoke-test/tsconfig.json maps
// @actions/http-client's import of it to src/undici-unused.ts): ~950 KB of code
// no smoke-test path runs, and ~6 MiB of its peak memory.
import { describe, expect, test } from '@jest/globals'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ProxyAgent } from '../../actions/smoke-test/src/undici-unused.js'

const dir = fileURLToPath(new URL('../../dist/smoke-test', import.meta.url))
const code = readdirSync(dir)
  .filter((n) => n.endsWith('.js'))
  .map((n) => readFileSync(join(dir, n), 'utf8'))
  .join('\n')

describe('smoke-test bundle without undici', () => {
  test('no undici module, and no undici in licenses.txt', () => {
    expect(code).not.toMatch(/node_modules\/undici\/|node_modules\/@actions\/http-client\/node_modules\/undici\//)
    // undici's HTTP/1 client and proxy agent, by what they define.
    expect(code).not.toMatch(/class (Client|ProxyAgent) extends DispatcherBase/)
    expect(readFileSync(join(dir, 'licenses.txt'), 'utf8')).not.toMatch(/^undici$/m)
    // It still bundles the toolkit that imports it.
    expect(code).toMatch(/node_modules\/@actions\/http-client\//)
  })

  test('the stand-in fails loudly if a future change reaches it', () => {
    expect(() => new ProxyAgent()).toThrow(/bundled without undici/)
  })

  test('the other bundles keep undici', () => {
    const gate = readFileSync(fileURLToPath(new URL('../../dist/health-gate/index.js', import.meta.url)), 'utf8')
    expect(gate).toMatch(/class Client extends DispatcherBase/)
  })
})

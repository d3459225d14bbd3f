#!/usr/bin/env node
// Regenerates actions/smoke-test/spec.schema.json from the zod spec schema
// (packages/probe/src/smoke/schema.ts). The schema lives in TypeScript, so this
// runs the schema test (which compiles it) in write mode, then formats the file.
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const run = (args, env = {}) => {
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } })
  if (r.status !== 0) process.exit(r.status ?? 1)
}
run(['--experimental-vm-modules', join(root, 'node_modules/jest/bin/jest.js'), 'test/unit/smoke-schema.test.ts'], {
  GANTRY_WRITE_SMOKE_SCHEMA: '1'
})
run([join(root, 'node_modules/prettier/bin/prettier.cjs'), '--write', 'actions/smoke-test/spec.schema.json'])
console.log('wrote actions/smoke-test/spec.schema.json')

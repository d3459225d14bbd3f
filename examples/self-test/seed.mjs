#!/usr/bin/env node
// Self-test set-up for a deploy job on a fresh runner (local target): builds
// the sample app v1, deploys it with deploy-atomic's bundle through the runner
// protocol (so the bad release that follows has a good one to roll back to),
// then starts the sample app's server on the given port in the background.
// Usage: node examples/self-test/seed.mjs <gantry-checkout> <base-dir> <port> [--no-seed]
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, openSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const [gantry, base, port, flag] = process.argv.slice(2)
if (!gantry || !base || !port) {
  console.error('usage: node seed.mjs <gantry-checkout> <base-dir> <port> [--no-seed]')
  process.exit(2)
}
const app = new URL('../app/', import.meta.url).pathname

if (flag !== '--no-seed') {
  const out = join(mkdtempSync(join(tmpdir(), 'gantry-seed-')), 'v1')
  spawnSync(process.execPath, [join(app, 'build.mjs'), out, 'v1'], { stdio: 'inherit' })
  // As the runner would: every input of deploy-atomic's action.yml, defaults filled in.
  const inputs = {
    source: out,
    path: base,
    target: 'local',
    hosts: '',
    'ssh-key': '',
    'known-hosts': '',
    'release-id': '',
    keep: '5',
    shared: '',
    activate: '',
    environment: '',
    'github-deployment': 'false',
    token: '',
    'allow-empty': 'false',
    slot: '',
    strategy: 'switch',
    'batch-size': '1',
    'host-health-url': '',
    'expect-status': '200-399',
    'expect-body': '',
    interval: '2s',
    'max-wait': '2m',
    samples: '20',
    router: '',
    upstream: '',
    servers: '',
    'router-host': '',
    'drain-timeout': '30s',
    'router-config': '',
    'router-args': '',
    'router-socket': '',
    'router-state-file': '',
    'router-command': ''
  }
  const env = { ...process.env }
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase()}`] = v
  const r = spawnSync(process.execPath, [join(gantry, 'dist', 'deploy-atomic', 'index.js')], { stdio: 'inherit', env })
  if (r.status !== 0) process.exit(r.status ?? 1)
}

const log = openSync(join(tmpdir(), 'gantry-sample-app.log'), 'a')
const server = spawn(process.execPath, [join(app, 'serve.mjs'), base, port], {
  detached: true,
  stdio: ['ignore', log, log]
})
server.unref()
console.log(`sample app serving ${base}/current on 127.0.0.1:${port} (pid ${server.pid})`)

// The caller workflows in examples/workflows/, run whole through the local
// workflow runner against two sshd hosts from Debian on 127.0.0.1: the text of
// each example as shipped, with only its hosts, paths and URLs pointed here
// (no example.com is ever contacted: the test refuses to run one that still
// names it). Secrets are the names the README tells users to set.
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { repoRoot } from '../harness/runner.mjs'
import { allSteps, runWorkflow, type WorkflowRun } from '../harness/workflow.mjs'
import { startServer, type TestServer } from '../helpers/http.js'
import { keygen, startSshd, type Sshd } from '../helpers/sshd.js'
import { writeFiles } from '../helpers/git-tree.js'

jest.setTimeout(300_000)

let root: string
let homes: string[]
let hosts: Sshd[]
let key: string
let site: TestServer
const examples = join(repoRoot, 'examples', 'workflows')

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'gantry-examples-ssh-'))
  // web1 and web2 are production, staging1 is staging: three hosts, each with its own login directory.
  homes = ['web1', 'web2', 'staging1'].map((h) => join(root, h))
  for (const h of homes) mkdirSync(h)
  const client = keygen(join(root, 'client'))
  key = client.priv
  hosts = []
  for (const home of homes) hosts.push(await startSshd({ client, home }))
  // The hosts' web server: /<staging|prod>/<app>/<file> serves <home>/<app>/current/<file> of the first host of
  // that environment that has it; /healthz is index.html.
  site = await startServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    const [, env, app, ...rest] = url.pathname.split('/')
    const path = rest.join('/')
    const file = path === '' || path === 'healthz' ? 'index.html' : path
    const envHomes = env === 'staging' ? homes.slice(2) : homes.slice(0, 2)
    const found = envHomes.map((h) => join(h, app, 'current', file)).filter((f) => existsSync(f))
    if (found.length) res.writeHead(200, { 'content-type': 'text/html' }).end(readFileSync(found[0]))
    else res.writeHead(404).end('no host serves it')
  })
}, 60_000)

afterAll(async () => {
  for (const h of hosts ?? []) await h.stop()
  await site?.close()
  rmSync(root, { recursive: true, force: true })
})

/** The example as shipped, with its hosts, paths and URLs pointed at this test's. */
function localised(file: string, app: string): string {
  let text = readFileSync(join(examples, file), 'utf8')
  text = text
    .replace(/deploy@web1\.example\.com(:\d+)?/g, hosts[0].host)
    .replace(/deploy@web2\.example\.com(:\d+)?/g, hosts[1].host)
    .replace(/deploy@staging1\.example\.com(:\d+)?/g, hosts[2].host)
    .replace(/\/srv\/[a-z]+/g, app)
    .replace(/https:\/\/staging\.[a-z.]*example\.com/g, `${site.url}/staging/${app}`)
    .replace(/https:\/\/[a-z.]*example\.com/g, `${site.url}/prod/${app}`)
    // The hosts here run no service manager: the activate command becomes a no-op.
    .replace(/activate: sudo systemctl reload \w+/, 'activate: true')
  const live = text
    .split('\n')
    .filter((l) => !l.trim().startsWith('#'))
    .join('\n')
  expect(live).not.toMatch(/example\.com/)
  const out = join(root, `${app}-${file}`)
  writeFileSync(out, text)
  return out
}

/** A user's repository: `npm ci && npm run build` writes public/ (with a hidden .well-known/) and dist/. */
function userRepo(name: string, version: string): string {
  const build =
    "node -e \"const f=require('fs');for(const d of ['public','dist']){f.mkdirSync(d+'/.well-known',{recursive:true});f.writeFileSync(d+'/index.html','" +
    version +
    "');f.writeFileSync(d+'/.well-known/security.txt','Contact: x')}\""
  return writeFiles(join(root, `repo-${name}-${version}`), {
    'package.json': JSON.stringify({ name, version: '1.0.0', scripts: { build, test: 'node -e "process.exit(0)"' } }),
    'package-lock.json': JSON.stringify({
      name,
      version: '1.0.0',
      lockfileVersion: 3,
      requires: true,
      packages: { '': { name, version: '1.0.0' } }
    }),
    '.github/smoke.yml': `checks:\n  - name: home\n    request:\n      url: /\n    expect:\n      status: 200\n      body-contains: ${version}\n`
  })
}

const secrets = () => ({ GANTRY_SSH_KEY: key, GANTRY_KNOWN_HOSTS: hosts.map((h) => h.knownHosts).join('\n') })
const current = (home: string, app: string) => basename(realpathSync(join(home, app, 'current')))
const failed = (r: WorkflowRun) =>
  allSteps(r)
    .filter((s) => s.outcome === 'failure')
    .map((s) => `${s.job}: ${s.name}: ${r.mask(`${s.stdout ?? ''}${s.stderr ?? ''}`).slice(-1500)}`)

describe('examples/workflows over ssh', () => {
  test('static-site-ssh.yml: build → deploy.yml to both hosts, hidden files included', async () => {
    const repo = userRepo('site', 'v1')
    const r = await runWorkflow({
      workflow: localised('static-site-ssh.yml', 'site'),
      repository: 'acme/site',
      trees: { 'acme/site': repo },
      secrets: secrets(),
      workDir: join(root, 'run-site')
    })
    expect(failed(r)).toEqual([])
    expect(r.result).toBe('success')
    for (const h of homes.slice(0, 2)) {
      expect(readFileSync(join(h, 'site', 'current', 'index.html'), 'utf8')).toBe('v1')
      expect(existsSync(join(h, 'site', 'current', '.well-known', 'security.txt'))).toBe(true)
    }
    expect(r.mask(JSON.stringify(allSteps(r)))).not.toContain(key.trim().split('\n')[1])
  })

  test('node-service.yml: pipeline.yml → staging → production over ssh; then rollback-button.yml', async () => {
    const v1 = userRepo('shop', 'v1')
    const ship = (repo: string, dir: string) =>
      runWorkflow({
        workflow: localised('node-service.yml', 'shop'),
        repository: 'acme/shop',
        trees: { 'acme/shop': repo },
        secrets: secrets(),
        workDir: join(root, dir)
      })
    const r1 = await ship(v1, 'run-shop-1')
    expect(failed(r1)).toEqual([])
    expect(r1.result).toBe('success')
    const first = current(homes[0], 'shop')
    const r2 = await ship(userRepo('shop', 'v2'), 'run-shop-2')
    expect(failed(r2)).toEqual([])
    const second = current(homes[0], 'shop')
    expect(second).not.toBe(first)
    expect(readFileSync(join(homes[1], 'shop', 'current', 'index.html'), 'utf8')).toBe('v2')

    const rb = await runWorkflow({
      workflow: localised('rollback-button.yml', 'shop'),
      event: 'workflow_dispatch',
      inputs: { environment: 'production', reason: 'the example button' },
      repository: 'acme/shop',
      trees: { 'acme/shop': v1 },
      secrets: secrets(),
      workDir: join(root, 'run-button')
    })
    expect(failed(rb)).toEqual([])
    expect(rb.jobs.rollback.outputs).toMatchObject({ 'rolled-back': 'true', from: second, to: first })
    // The button's example names one production host: that host is back on the first release.
    expect(current(homes[0], 'shop')).toBe(first)
  })
})

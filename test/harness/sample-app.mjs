// The sample app's world, for the demo and the workflow e2e tests: a copy of
// examples/app as the user's repository (acme/sample, with its own
// .github/workflows), the app's server serving <base>/current on 127.0.0.1, and
// a webhook receiver standing in for Slack/Teams that checks every signature.
// Runs go through the local workflow runner (./workflow.mjs).
import { spawn } from 'node:child_process'
import { createHash, createHmac } from 'node:crypto'
import { createServer } from 'node:http'
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { repoRoot } from './runner.mjs'
import { runWorkflow } from './workflow.mjs'

export const SAMPLE_REPO = 'acme/sample'

/** @param {{ keep?: boolean, log?: (line: string) => void }} [opts] */
export async function startSampleWorld(opts = {}) {
  const work = mkdtempSync(join(tmpdir(), 'gantry-sample-'))
  const project = join(work, 'project')
  const base = join(work, 'srv')
  const cache = join(work, 'cache')
  for (const d of [base, cache]) mkdirSync(d, { recursive: true })
  cpSync(join(repoRoot, 'examples', 'app'), project, { recursive: true })
  const webhookSecret = 'sample-webhook-secret'

  const received = []
  const receiver = createServer((req, res) => {
    let body = ''
    req.on('data', (d) => (body += d))
    req.on('end', () => {
      const sig = createHmac('sha256', webhookSecret).update(body).digest('hex')
      const ok = req.headers['x-gantry-signature'] === `sha256=${sig}`
      received.push({ ok, body: JSON.parse(body || '{}') })
      res.writeHead(ok ? 200 : 401).end()
    })
  })
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r))
  const webhook = `http://127.0.0.1:${receiver.address().port}/hooks/deploy`

  const app = spawn(process.execPath, [join(project, 'serve.mjs'), base, '0'], { stdio: ['ignore', 'pipe', 'inherit'] })
  const port = await new Promise((resolve, reject) => {
    app.stdout.setEncoding('utf8').once('data', (d) => resolve(Number(String(d).trim())))
    app.once('exit', (c) => reject(new Error(`sample app exited ${c}`)))
  })
  const appUrl = `http://127.0.0.1:${port}`
  let commits = 0
  let runs = 0

  const world = {
    work,
    project,
    base,
    appUrl,
    webhook,
    received,
    sha: commitSha(0),
    vars: { BUILD_CACHE_DIR: cache, APP_URL: appUrl, APP_PATH: base },
    secrets: { DEPLOY_WEBHOOK: webhook, DEPLOY_WEBHOOK_SECRET: webhookSecret },
    /** A new commit of the sample app: what release.json says to build. */
    commit(release) {
      writeFileSync(join(project, 'release.json'), JSON.stringify(release) + '\n')
      world.sha = commitSha(++commits)
    },
    /** Runs one of the sample app's workflows (ship.yml, rollback.yml) as workflow_dispatch, or a reference (owner/repo/path@ref). */
    run(file, options = {}) {
      runs++
      return runWorkflow({
        workflow: file.includes('@') ? file : join(project, '.github', 'workflows', file),
        event: 'workflow_dispatch',
        repository: SAMPLE_REPO,
        sha: world.sha,
        runId: String(1000 + runs),
        trees: { [SAMPLE_REPO]: project },
        vars: world.vars,
        secrets: world.secrets,
        log: opts.log,
        ...options
      })
    },
    async stop() {
      app.kill('SIGTERM')
      receiver.closeAllConnections()
      receiver.close()
      if (!opts.keep) rmSync(work, { recursive: true, force: true })
    }
  }
  return world
}

function commitSha(n) {
  return createHash('sha1').update(`sample commit ${n}`).digest('hex')
}

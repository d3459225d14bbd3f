// GitHub deployments from deploy-atomic and auto-rollback, against a local
// GitHub API stand-in that checks every request against GitHub's OpenAPI
// description (@octokit/openapi).
import { afterEach, beforeEach, describe, expect, jest, test } from '@jest/globals'
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runAction } from '../harness/runner.mjs'
import { exampleResponse, startGitHubApi, type GitHubApi } from '../helpers/github-api.js'

jest.setTimeout(90_000)

let root: string
let base: string
let api: GitHubApi

beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), 'gantry-e2e-ghdeploy-'))
  base = join(root, 'app')
  api = await startGitHubApi()
  let next = 100
  // Each created deployment gets its own id (the description's example body, renumbered).
  api.respond('repos/create-deployment', () => {
    const ex = exampleResponse('repos/create-deployment')
    return { status: 201, body: { ...(ex.body as object), id: ++next } }
  })
})
afterEach(async () => {
  await api.close()
  rmSync(root, { recursive: true, force: true })
})

function source(id: string): string {
  const dir = join(root, 'src', id)
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'index.html'), id)
  return dir
}

const env = () => ({ GITHUB_API_URL: api.url })
const statuses = () =>
  api.calls('repos/create-deployment-status').map((r) => ({
    id: r.params.deployment_id,
    ...(r.body as { state: string; log_url?: string; description?: string; environment?: string })
  }))

describe('github-deployment: true', () => {
  test('creates a deployment, then in_progress → success; a rollback marks it failure', async () => {
    const r1 = await runAction('deploy-atomic', {
      inputs: {
        source: source('r1'),
        path: base,
        'release-id': 'r1',
        'github-deployment': true,
        environment: 'production'
      },
      token: 'ghs_secret_token_1',
      env: env()
    })
    expect(r1.code).toBe(0)
    const r2 = await runAction('deploy-atomic', {
      inputs: {
        source: source('r2'),
        path: base,
        'release-id': 'r2',
        'github-deployment': true,
        environment: 'production'
      },
      token: 'ghs_secret_token_1',
      env: env()
    })
    expect(r2.code).toBe(0)
    expect(api.rejected).toEqual([])
    const created = api.calls('repos/create-deployment')
    expect(created).toHaveLength(2)
    expect(created[0].params).toEqual({ owner: 'acme', repo: 'shop' })
    expect(created[0].body).toMatchObject({
      ref: '0123456789abcdef0123456789abcdef01234567',
      environment: 'production',
      auto_merge: false,
      required_contexts: [],
      production_environment: true
    })
    expect(created[0].headers.authorization).toBe('token ghs_secret_token_1')
    expect(statuses().map((s) => `${s.id}:${s.state}`)).toEqual([
      '101:in_progress',
      '101:success',
      '102:in_progress',
      '102:success'
    ])
    expect(statuses()[1]).toMatchObject({
      log_url: 'https://github.com/acme/shop/actions/runs/4242',
      description: 'release r1 is live'
    })
    // Recorded with the release, so a rollback can find it.
    const h = JSON.parse(readFileSync(join(base, '.gantry', 'history.json'), 'utf8'))
    expect(h.releases.map((r: { githubDeploymentId: number }) => r.githubDeploymentId)).toEqual([101, 102])
    expect(r2.summary).not.toContain('ghs_secret_token_1')

    // auto-rollback without github-deployment-id: the deployment recorded with r2 is marked failed.
    const rb = await runAction('auto-rollback', {
      inputs: { path: base, reason: 'smoke failed' },
      token: 'ghs_secret_token_1',
      env: env()
    })
    expect(rb.code).toBe(0)
    expect(readlinkSync(join(base, 'current'))).toBe('releases/r1')
    expect(api.rejected).toEqual([])
    expect(statuses().at(-1)).toMatchObject({
      id: '102',
      state: 'failure',
      description: 'rolled back to r1: smoke failed',
      log_url: 'https://github.com/acme/shop/actions/runs/4242'
    })
    expect(JSON.parse(readFileSync(rb.outputs.report, 'utf8')).githubDeployment).toMatchObject({
      id: 102,
      status: expect.any(String)
    })
  })

  test('a failed deploy sets the deployment status to failure', async () => {
    const r = await runAction('deploy-atomic', {
      inputs: {
        source: source('r1'),
        path: base,
        'release-id': 'r1',
        'github-deployment': true,
        activate: 'sh -c "exit 2"'
      },
      token: 'ghs_x',
      env: env()
    })
    expect(r.code).toBe(1)
    expect(api.rejected).toEqual([])
    expect(api.calls('repos/create-deployment')[0].body).toMatchObject({ environment: 'production' })
    expect(statuses().map((s) => s.state)).toEqual(['in_progress', 'failure'])
    expect(statuses()[1].description).toMatch(/activate exited with code 2/)
  })

  test('github-deployment-id on auto-rollback marks that deployment failed', async () => {
    for (const id of ['r1', 'r2']) {
      expect(
        (await runAction('deploy-atomic', { inputs: { source: source(id), path: base, 'release-id': id } })).code
      ).toBe(0)
    }
    const rb = await runAction('auto-rollback', {
      inputs: { path: base, 'github-deployment-id': 4711, reason: 'p95' },
      token: 'ghs_x',
      env: env()
    })
    expect(rb.code).toBe(0)
    expect(api.rejected).toEqual([])
    expect(statuses()).toEqual([
      expect.objectContaining({ id: '4711', state: 'failure', description: 'rolled back to r1: p95' })
    ])
  })
})

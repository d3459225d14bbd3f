// The shared GitHub deployments client against the OpenAPI-validating stand-in:
// every request must match GitHub's published description.
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals'
import {
  DeliveryFailed,
  GitHubDeployments,
  createDeployment,
  createDeploymentStatus,
  deploymentStateFor,
  runUrl
} from '@gantry/notify'
import { exampleResponse, startGitHubApi, type GitHubApi } from '../helpers/github-api.js'

const fast = { minDelayMs: 5, maxDelayMs: 20, timeoutMs: 2_000 }
let api: GitHubApi

beforeEach(async () => {
  api = await startGitHubApi()
})
afterEach(async () => {
  await api.close()
})

function client(extra: Partial<ConstructorParameters<typeof GitHubDeployments>[0]> = {}) {
  return { token: 'ghs_test', repository: 'acme/shop', baseUrl: api.url, policy: fast, ...extra }
}

describe('status mapping', () => {
  test.each([
    ['started', 'in_progress'],
    ['success', 'success'],
    ['failure', 'failure'],
    ['cancelled', 'inactive'],
    ['rolled-back', 'failure']
  ] as const)('%s → %s', (status, state) => expect(deploymentStateFor(status)).toBe(state))
})

describe('runUrl', () => {
  test('links the run, and the attempt when it is a re-run', () => {
    const env = { GITHUB_SERVER_URL: 'https://ghe.example', GITHUB_REPOSITORY: 'a/b', GITHUB_RUN_ID: '9' }
    expect(runUrl(env)).toBe('https://ghe.example/a/b/actions/runs/9')
    expect(runUrl({ ...env, GITHUB_RUN_ATTEMPT: '2' })).toBe('https://ghe.example/a/b/actions/runs/9/attempts/2')
    expect(runUrl({})).toBeUndefined()
  })
})

describe('createDeployment', () => {
  test('sends a request GitHub accepts: no auto-merge, no required contexts, production flag', async () => {
    const d = await createDeployment(client(), {
      ref: '0123456789abcdef0123456789abcdef01234567',
      environment: 'production',
      description: 'release 20261123T180000Z-0123456',
      payload: { releaseId: '20261123T180000Z-0123456' }
    })
    expect(api.rejected).toEqual([])
    expect(d.id).toBe((exampleResponse('repos/create-deployment').body as { id: number }).id)
    const [call] = api.calls('repos/create-deployment')
    expect(call.params).toEqual({ owner: 'acme', repo: 'shop' })
    expect(call.headers.authorization).toBe('token ghs_test')
    expect(call.body).toEqual({
      ref: '0123456789abcdef0123456789abcdef01234567',
      environment: 'production',
      description: 'release 20261123T180000Z-0123456',
      auto_merge: false,
      required_contexts: [],
      production_environment: true,
      transient_environment: false,
      payload: { releaseId: '20261123T180000Z-0123456' },
      task: 'deploy'
    })
  })

  test('a staging environment is not production; transient is passed through', async () => {
    await createDeployment(client(), { ref: 'main', environment: 'pr-42', transient: true })
    expect(api.rejected).toEqual([])
    expect(api.calls('repos/create-deployment')[0].body).toMatchObject({
      production_environment: false,
      transient_environment: true
    })
  })

  test('a 202 (merge instead of deployment) is an error, not a deployment', async () => {
    api.respond('repos/create-deployment', { status: 202, body: { message: 'Auto-merged main into topic' } })
    await expect(createDeployment(client(), { ref: 'main', environment: 'staging' })).rejects.toThrow(
      /answered 202 without a deployment/
    )
  })
})

describe('createDeploymentStatus', () => {
  test('environment_url is the app, log_url is the run, auto_inactive is explicit', async () => {
    const env = process.env
    process.env = {
      ...env,
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_REPOSITORY: 'acme/shop',
      GITHUB_RUN_ID: '77'
    }
    try {
      const s = await createDeploymentStatus(client(), {
        deploymentId: 42,
        state: 'success',
        environmentUrl: 'https://shop.example.com',
        description: 'x'.repeat(200),
        environment: 'production'
      })
      expect(s.attempts).toBe(1)
    } finally {
      process.env = env
    }
    expect(api.rejected).toEqual([])
    const [call] = api.calls('repos/create-deployment-status')
    expect(call.params.deployment_id).toBe('42')
    const body = call.body as Record<string, unknown>
    expect(body).toMatchObject({
      state: 'success',
      environment_url: 'https://shop.example.com',
      log_url: 'https://github.com/acme/shop/actions/runs/77',
      environment: 'production',
      auto_inactive: true
    })
    expect((body.description as string).length).toBe(140)
  })

  test('5xx is retried and then succeeds', async () => {
    const ok = exampleResponse('repos/create-deployment-status')
    api.respond('repos/create-deployment-status', [{ status: 502, body: { message: 'Bad gateway' } }, ok])
    const retries: string[] = []
    const s = await new GitHubDeployments(client({ onRetry: (m) => retries.push(m) })).createDeploymentStatus({
      deploymentId: 1,
      state: 'in_progress'
    })
    expect(s.attempts).toBe(2)
    expect(retries).toEqual([expect.stringContaining('HTTP 502')])
  })

  test('422 is not retried and says what GitHub said', async () => {
    api.respond('repos/create-deployment-status', { status: 422, body: { message: 'Validation Failed' } })
    const p = createDeploymentStatus(client(), { deploymentId: 1, state: 'failure' })
    await expect(p).rejects.toBeInstanceOf(DeliveryFailed)
    await expect(createDeploymentStatus(client(), { deploymentId: 1, state: 'failure' })).rejects.toThrow(
      /create deployment status: HTTP 422: Validation Failed/
    )
    expect(api.calls('repos/create-deployment-status')).toHaveLength(2)
  })

  test('a request that stalls times out, bounded, and is retried', async () => {
    api.respond('repos/create-deployment-status', () => new Promise(() => undefined))
    await expect(
      createDeploymentStatus(client({ policy: { ...fast, timeoutMs: 200, retries: 1 } }), {
        deploymentId: 1,
        state: 'failure'
      })
    ).rejects.toThrow(/timed out after 200 ms \(after 2 attempts\)/)
  })
})

describe('GitHub Enterprise Server', () => {
  test('the API under /api/v3 (GITHUB_API_URL) is honoured', async () => {
    const ghes = await startGitHubApi({ prefix: '/api/v3' })
    try {
      await createDeploymentStatus(
        { token: 't', repository: 'acme/shop', baseUrl: `${ghes.url}/`, policy: fast },
        { deploymentId: 3, state: 'success' }
      )
      expect(ghes.rejected).toEqual([])
      expect(ghes.calls('repos/create-deployment-status')).toHaveLength(1)
      expect(ghes.url).toMatch(/\/api\/v3$/)
    } finally {
      await ghes.close()
    }
  })
})

describe('the stand-in itself rejects what GitHub would not accept', () => {
  test('a bad state, a non-integer id and a misspelt field are each rejected', async () => {
    const res = await fetch(`${api.url}/repos/acme/shop/deployments/abc/statuses`, {
      method: 'POST',
      headers: { authorization: 'token x', 'content-type': 'application/json' },
      body: JSON.stringify({ state: 'done', environmentUrl: 'https://x' })
    })
    expect(res.status).toBe(422)
    expect(api.rejected).toHaveLength(1)
    const errors = api.rejected[0].errors.join('\n')
    expect(errors).toMatch(/deployment_id/)
    expect(errors).toMatch(/body\/state must be equal to one of the allowed values/)
    expect(errors).toMatch(/unknown property 'environmentUrl'/)
  })

  test('an unknown route and a missing token are rejected', async () => {
    expect((await fetch(`${api.url}/repos/acme/shop/deploymentz`, { method: 'POST' })).status).toBe(404)
    expect((await fetch(`${api.url}/repos/acme/shop/deployments`, { method: 'GET' })).status).toBe(401)
    expect(api.rejected.map((r) => r.errors[0])).toEqual([
      expect.stringMatching(/no operation POST/),
      'no Authorization header'
    ])
  })
})

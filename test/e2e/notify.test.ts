// notify through the shipped bundle (dist/notify/index.js), run as the runner
// runs it, against receivers on 127.0.0.1 that check each payload against the
// provider's documented format, a Slack Web API stand-in, and a GitHub REST
// API stand-in that validates against GitHub's OpenAPI description.
import { afterEach, describe, expect, jest, test } from '@jest/globals'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runAction } from '../harness/runner.mjs'
import type { RunResult } from '../harness/runner.d.mts'
import { startGitHubApi, type GitHubApi } from '../helpers/github-api.js'
import {
  checkDiscordBody,
  checkSlackMessage,
  checkTeamsEnvelope,
  startReceiver,
  startSlackApi,
  verifySignature,
  type Receiver,
  type Reply
} from '../helpers/notify-receivers.js'

// Each case spawns the bundle (Node's start included): a bound for a busy machine, not a speed test.
jest.setTimeout(30_000)

const open: Array<{ close(): Promise<void> }> = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()))
})
async function receiver(reply?: Reply, path = '/hook'): Promise<Receiver> {
  const r = await startReceiver(reply, path)
  open.push(r)
  return r
}
async function githubApi(): Promise<GitHubApi> {
  const api = await startGitHubApi()
  open.push(api)
  return api
}

const TOKEN = 'ghs_e2eSecretToken0123456789'
const SLACK_TOKEN = 'xoxb-1111-2222-e2eSlackSecret'
const HOOK_SECRET = 'whsec-e2e-signing-secret'
// Webhook URLs carry their secret in the path, as Slack's and Discord's do.
const SLACK_PATH = '/services/T0000/B0000/slackSecretPart123'
const TEAMS_PATH = '/workflows/abc/triggers/manual/paths/invoke?sig=teamsSecretSig456'
const DISCORD_PATH = '/api/webhooks/123/discordSecretToken789'
const HOOK_PATH = '/gantry/hookSecretPath000'
const SECRETS = [
  TOKEN,
  SLACK_TOKEN,
  HOOK_SECRET,
  'slackSecretPart123',
  'teamsSecretSig456',
  'discordSecretToken789',
  'hookSecretPath000'
]

function sent(r: RunResult): Record<string, string> {
  return JSON.parse(r.outputs.sent) as Record<string, string>
}

/** The report, from its path in the `report` output. */
function report(r: RunResult): Record<string, unknown> & { channels: Array<Record<string, unknown>> } {
  expect(r.outputs.report).toMatch(/notify-.*\.json$/)
  return JSON.parse(readFileSync(r.outputs.report!, 'utf8')) as ReturnType<typeof report>
}

/**
 * No secret anywhere a user sees. `::add-mask::` lines are the instruction that
 * makes the runner mask a value; the runner consumes them and never shows them.
 */
function expectNoSecrets(r: RunResult): void {
  const stdout = r.stdout
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n')
  const reportText = r.outputs.report ? readFileSync(r.outputs.report, 'utf8') : ''
  for (const s of SECRETS) {
    expect({ secret: s, in: 'stdout', found: stdout.includes(s) }).toEqual({ secret: s, in: 'stdout', found: false })
    expect({ secret: s, in: 'stderr', found: r.stderr.includes(s) }).toEqual({ secret: s, in: 'stderr', found: false })
    expect({ secret: s, in: 'summary', found: r.summary.includes(s) }).toEqual({
      secret: s,
      in: 'summary',
      found: false
    })
    expect({ secret: s, in: 'report', found: reportText.includes(s) }).toEqual({
      secret: s,
      in: 'report',
      found: false
    })
    expect({ secret: s, in: 'outputs', found: JSON.stringify(r.outputs).includes(s) }).toEqual({
      secret: s,
      in: 'outputs',
      found: false
    })
  }
}

const ok: Reply = (_r, _n, res) => void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok')
const accepted: Reply = (_r, _n, res) => void res.writeHead(202).end()
const noContent: Reply = (_r, _n, res) => void res.writeHead(204).end()

describe('notify e2e', () => {
  test('every channel delivers a payload in its provider format; no secret leaks', async () => {
    const slack = await receiver(ok, SLACK_PATH)
    const teams = await receiver(accepted, TEAMS_PATH)
    const discord = await receiver(noContent, DISCORD_PATH)
    const hook = await receiver(noContent, HOOK_PATH)
    const gh = await githubApi()
    const r = await runAction('notify', {
      inputs: {
        status: 'success',
        environment: 'production',
        'release-id': '20261123T180000Z-0123456',
        'environment-url': 'https://shop.example.com',
        'slack-webhook': slack.url,
        'teams-webhook': teams.url,
        'discord-webhook': discord.url,
        webhook: hook.url,
        'webhook-secret': HOOK_SECRET,
        'github-deployment-id': 42
      },
      token: TOKEN,
      env: { GITHUB_API_URL: gh.url }
    })
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(sent(r)).toEqual({ slack: 'ok', teams: 'ok', discord: 'ok', webhook: 'ok', github: 'ok' })
    expect(r.outputs['slack-ts']).toBe('')

    expect(slack.received).toHaveLength(1)
    expect(checkSlackMessage(slack.received[0].json)).toEqual([])
    expect(checkTeamsEnvelope(teams.received[0].json)).toEqual([])
    expect(checkDiscordBody(discord.received[0].json)).toEqual([])
    for (const rx of [slack, teams, discord, hook]) {
      expect(rx.received[0].headers['content-type']).toMatch(/^application\/json/)
      // The same facts in every channel.
      expect(rx.received[0].text).toContain('20261123T180000Z-0123456')
      expect(rx.received[0].text).toContain('acme/shop')
    }

    const h = hook.received[0]
    expect(verifySignature(h.text, h.headers['x-gantry-signature'], HOOK_SECRET)).toBe(true)
    expect(verifySignature(h.text, h.headers['x-gantry-signature'], 'wrong-secret')).toBe(false)
    expect(h.json).toMatchObject({
      status: 'success',
      environment: 'production',
      sha: '0123456789abcdef0123456789abcdef01234567'
    })

    expect(gh.rejected).toEqual([])
    const [status] = gh.calls('repos/create-deployment-status')
    expect(status.params).toEqual({ owner: 'acme', repo: 'shop', deployment_id: '42' })
    expect(status.headers.authorization).toBe(`token ${TOKEN}`)
    expect(status.body).toMatchObject({
      state: 'success',
      environment_url: 'https://shop.example.com',
      log_url: 'https://github.com/acme/shop/actions/runs/4242',
      auto_inactive: true
    })

    expect(r.summary).toContain('### ✅ Deployed acme/shop to production')
    for (const ch of ['slack', 'teams', 'discord', 'webhook', 'github'])
      expect(r.summary).toContain(`| ${ch} | ✅ sent | 1 |`)
    const rep = report(r)
    expect(rep).toMatchObject({ schema: 1, action: 'notify', ok: true, status: 'success' })
    expect(rep.channels.map((c) => c.channel)).toEqual(['slack', 'teams', 'discord', 'webhook', 'github'])
    expectNoSecrets(r)
  })

  test('Slack Web API: started posts, the result updates that message in place, with the duration', async () => {
    const api = await startSlackApi(SLACK_TOKEN)
    open.push(api)
    const runnerTemp = mkdtempSync(join(tmpdir(), 'gantry-notify-e2e-'))
    const common = {
      env: { GANTRY_SLACK_API_URL: api.url },
      token: TOKEN,
      runnerTemp
    }
    const first = await runAction('notify', {
      ...common,
      inputs: { status: 'started', environment: 'staging', 'slack-token': SLACK_TOKEN, 'slack-channel': 'C0123456789' }
    })
    expect(first.code).toBe(0)
    expect(sent(first)).toEqual({ slack: 'ok' })
    const ts = first.outputs['slack-ts']
    expect(ts).toMatch(/^\d+\.\d+$/)
    expect(api.calls.map((c) => c.path)).toEqual(['/api/chat.postMessage'])

    const second = await runAction('notify', {
      ...common,
      inputs: {
        status: 'rolled-back',
        environment: 'staging',
        'slack-token': SLACK_TOKEN,
        'slack-channel': 'C0123456789',
        'slack-ts': ts
      }
    })
    expect(second.code).toBe(0)
    expect(second.outputs['slack-ts']).toBe(ts)
    expect(api.problems).toEqual([])
    expect(api.calls.map((c) => c.path)).toEqual(['/api/chat.postMessage', '/api/chat.update'])
    // One message in the channel, now showing the result.
    expect([...api.messages.keys()]).toEqual([ts])
    const m = api.messages.get(ts)!
    expect(m.updates).toBe(1)
    expect(m.text).toContain('Rolled back acme/shop on staging')
    expect(JSON.stringify(m.blocks)).toContain('*Duration*')
    expect(second.summary).toContain('| Duration |')
    expectNoSecrets(first)
    expectNoSecrets(second)
  })

  test('with both Slack routes configured the Web API is used and the webhook is said to be ignored', async () => {
    const api = await startSlackApi(SLACK_TOKEN)
    open.push(api)
    const hook = await receiver(ok, SLACK_PATH)
    const r = await runAction('notify', {
      inputs: { status: 'success', 'slack-webhook': hook.url, 'slack-token': SLACK_TOKEN, 'slack-channel': 'C1' },
      token: TOKEN,
      env: { GANTRY_SLACK_API_URL: api.url }
    })
    expect(r.code).toBe(0)
    expect(sent(r)).toEqual({ slack: 'ok' })
    expect(hook.received).toHaveLength(0)
    expect(api.messages.size).toBe(1)
    expect(r.annotations).toEqual([
      expect.objectContaining({ level: 'warning', message: expect.stringMatching(/^slack-webhook is ignored/) })
    ])
    expectNoSecrets(r)
  })

  test('429 with Retry-After is waited out, then the message is delivered', async () => {
    const slack = await receiver((_r, n, res) => {
      if (n === 1) res.writeHead(429, { 'retry-after': '1', 'content-type': 'text/plain' }).end('rate_limited')
      else res.writeHead(200).end('ok')
    }, SLACK_PATH)
    const r = await runAction('notify', { inputs: { status: 'started', 'slack-webhook': slack.url }, token: TOKEN })
    expect(r.code).toBe(0)
    expect(sent(r)).toEqual({ slack: 'ok' })
    expect(slack.received).toHaveLength(2)
    expect(r.stdout).toContain('slack: HTTP 429: rate_limited; retry 1 in 1000 ms')
    expect(r.summary).toContain('| slack | ✅ sent | 2 |')
    expect(report(r).channels[0]).toMatchObject({ channel: 'slack', ok: true, attempts: 2 })
  })

  test('a Retry-After beyond the bound fails the channel at once instead of stalling the deploy', async () => {
    const discord = await receiver(
      (_r, _n, res) => void res.writeHead(429, { 'retry-after': '600' }).end(),
      DISCORD_PATH
    )
    const r = await runAction('notify', { inputs: { status: 'failure', 'discord-webhook': discord.url }, token: TOKEN })
    expect(r.code).toBe(0)
    expect(discord.received).toHaveLength(1)
    expect(sent(r).discord).toBe('HTTP 429 (Retry-After 600 s exceeds the 30 s bound)')
  })

  test('500 until the retries run out: that channel fails, the others are delivered, a warning by default', async () => {
    const slack = await receiver(ok, SLACK_PATH)
    const teams = await receiver((_r, _n, res) => void res.writeHead(500).end('flow failed'), TEAMS_PATH)
    const hook = await receiver(noContent, HOOK_PATH)
    const r = await runAction('notify', {
      inputs: { status: 'failure', 'slack-webhook': slack.url, 'teams-webhook': teams.url, webhook: hook.url },
      token: TOKEN
    })
    expect(r.code).toBe(0)
    expect(teams.received).toHaveLength(4)
    expect(sent(r)).toEqual({ slack: 'ok', teams: 'HTTP 500: flow failed (after 4 attempts)', webhook: 'ok' })
    expect(r.annotations).toEqual([
      expect.objectContaining({
        level: 'warning',
        title: 'notify: teams failed',
        message: 'teams: HTTP 500: flow failed (after 4 attempts)'
      })
    ])
    expect(r.summary).toContain('| teams | ❌ failed | 4 |')
    expect(r.summary).toContain('1 of 3 channel(s) failed')
    expect(report(r)).toMatchObject({ ok: false })
    expectNoSecrets(r)
  })

  test('fail-on-error: true turns a failed channel into a failed step, after the others were sent', async () => {
    const slack = await receiver(ok, SLACK_PATH)
    // Discord's error echoes the webhook token: it must come out masked.
    const discord = await receiver(
      (_r, _n, res) => void res.writeHead(404).end('Unknown Webhook discordSecretToken789'),
      DISCORD_PATH
    )
    const r = await runAction('notify', {
      inputs: { status: 'success', 'slack-webhook': slack.url, 'discord-webhook': discord.url, 'fail-on-error': true },
      token: TOKEN
    })
    expect(r.code).toBe(1)
    expect(slack.received).toHaveLength(1)
    expect(discord.received).toHaveLength(1) // a 404 is not retried
    expect(sent(r)).toEqual({ slack: 'ok', discord: 'HTTP 404: Unknown Webhook ***' })
    expect(r.annotations.map((a) => [a.level, a.message])).toEqual([
      ['error', 'discord: HTTP 404: Unknown Webhook ***'],
      ['error', '1 of 2 channel(s) failed: discord']
    ])
    expect(r.summary).toContain('| discord | ❌ failed | 1 |')
    expectNoSecrets(r)
  })

  test('a receiver that never answers is cut at the timeout, retried, and reported', async () => {
    const hook = await receiver(() => new Promise(() => undefined), HOOK_PATH)
    const r = await runAction('notify', {
      inputs: { status: 'cancelled', webhook: hook.url, timeout: '300ms' },
      token: TOKEN
    })
    expect(r.code).toBe(0)
    expect(sent(r)).toEqual({ webhook: 'timed out after 300 ms (after 4 attempts)' })
    expect(hook.received).toHaveLength(4)
  })

  test('GitHub deployment status: rolled-back is a failure, cancelled is inactive; a refusal is reported', async () => {
    const gh = await githubApi()
    const env = { GITHUB_API_URL: gh.url }
    const rb = await runAction('notify', {
      inputs: { status: 'rolled-back', 'github-deployment-id': 7, environment: 'production' },
      token: TOKEN,
      env
    })
    const cancelled = await runAction('notify', {
      inputs: { status: 'cancelled', 'github-deployment-id': 7 },
      token: TOKEN,
      env
    })
    expect([rb.code, cancelled.code]).toEqual([0, 0])
    expect(gh.rejected).toEqual([])
    expect(gh.calls('repos/create-deployment-status').map((c) => (c.body as { state: string }).state)).toEqual([
      'failure',
      'inactive'
    ])
    gh.respond('repos/create-deployment-status', { status: 404, body: { message: 'Not Found' } })
    const missing = await runAction('notify', {
      inputs: { status: 'success', 'github-deployment-id': 8 },
      token: TOKEN,
      env
    })
    expect(sent(missing)).toEqual({ github: 'HTTP 404: Not Found' })
    expectNoSecrets(missing)
  })

  test('a title cannot inject workflow commands into the log', async () => {
    const hook = await receiver(noContent, HOOK_PATH)
    const r = await runAction('notify', {
      inputs: { status: 'success', title: 'fix\n::error::injected\n::add-mask::x', webhook: hook.url },
      token: TOKEN
    })
    expect(r.code).toBe(0)
    expect(r.annotations).toEqual([])
    expect(r.stdout.split('\n').filter((l) => l.startsWith('::error') || l === '::add-mask::x')).toEqual([])
  })

  test('with no channel the job summary is still written', async () => {
    const r = await runAction('notify', { inputs: { status: 'started', environment: 'staging' }, token: TOKEN })
    expect(r.code).toBe(0)
    expect(sent(r)).toEqual({})
    expect(r.summary).toContain('### 🚀 Deploying acme/shop to staging')
    expect(r.summary).toContain('No channel configured')
    expect(r.summary).toContain('| Run | [deploy #7](https://github.com/acme/shop/actions/runs/4242) |')
  })

  test('bad input: one line naming the input, before anything is sent', async () => {
    const slack = await receiver(ok, SLACK_PATH)
    const a = await runAction('notify', {
      inputs: { status: 'success', 'slack-webhook': slack.url, 'slack-ts': 'yesterday' },
      token: TOKEN
    })
    expect(a.code).toBe(1)
    expect(a.annotations).toEqual([
      expect.objectContaining({
        level: 'error',
        message: "Input 'slack-ts' has invalid value 'yesterday': expected a Slack message ts such as 1700000000.123456"
      })
    ])
    const b = await runAction('notify', {
      inputs: { status: 'success', 'slack-webhook': slack.url, 'discord-webhook': 'not a url' },
      token: TOKEN
    })
    expect(b.annotations.map((x) => x.message)).toEqual([
      "Input 'discord-webhook' has invalid value ***: expected an http(s) URL such as https://example.com/healthz"
    ])
    const c = await runAction('notify', {
      inputs: { status: 'started', 'slack-token': SLACK_TOKEN, webhook: slack.url },
      token: TOKEN
    })
    expect(c.annotations.map((x) => x.message)).toEqual([
      "Input 'slack-channel' is required with slack-token: expected a Slack channel id such as C0123456789"
    ])
    expect(slack.received).toHaveLength(0)
    for (const r of [a, b, c]) expectNoSecrets(r)
  })
})

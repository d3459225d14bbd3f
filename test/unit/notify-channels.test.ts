// Message building and each channel's payload, checked against the provider's
// documented format (see test/helpers/notify-receivers.ts for the sources).
import { describe, expect, test } from '@jest/globals'
import {
  STATUSES,
  buildMessage,
  clip,
  contextFromEnv,
  discordPayload,
  embedSize,
  escapeMrkdwn,
  formatDuration,
  notifySummary,
  sign,
  slackPayload,
  teamsPayload,
  webhookBody,
  type Message
} from '@gantry/notify'
import {
  checkDiscordBody,
  checkSlackMessage,
  checkTeamsEnvelope,
  verifySignature
} from '../helpers/notify-receivers.js'

const env = {
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_REPOSITORY: 'acme/shop',
  GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
  GITHUB_REF_NAME: 'main',
  GITHUB_ACTOR: 'octocat',
  GITHUB_WORKFLOW: 'deploy',
  GITHUB_RUN_ID: '4242',
  GITHUB_RUN_NUMBER: '7'
}
const now = new Date('2026-11-23T18:00:00Z')

function msg(over: Partial<Parameters<typeof buildMessage>[0]> = {}): Message {
  return buildMessage(
    {
      status: 'success',
      environment: 'production',
      releaseId: '20261123T180000Z-0123456',
      environmentUrl: 'https://shop.example.com',
      durationMs: 72_000,
      ...over
    },
    contextFromEnv(env),
    now
  )
}

describe('message', () => {
  test('facts come from the GitHub context and the inputs', () => {
    const m = msg()
    expect(m.title).toBe('✅ Deployed acme/shop to production')
    expect(m.text).toBe('Release 20261123T180000Z-0123456 is live after 1m 12s.')
    expect(Object.fromEntries(m.facts.map((f) => [f.label, f.value]))).toEqual({
      Status: '✅ success',
      Repository: 'acme/shop',
      Environment: 'production',
      Release: '20261123T180000Z-0123456',
      Ref: 'main',
      Commit: '0123456',
      Actor: 'octocat',
      Duration: '1m 12s',
      Run: 'deploy #7'
    })
    expect(m.facts.find((f) => f.label === 'Run')?.url).toBe('https://github.com/acme/shop/actions/runs/4242')
    expect(m.facts.find((f) => f.label === 'Commit')?.url).toBe(
      'https://github.com/acme/shop/commit/0123456789abcdef0123456789abcdef01234567'
    )
    expect(m.facts.find((f) => f.label === 'Environment')?.url).toBe('https://shop.example.com')
  })

  test('each status has its own emoji and colour; a rollback never reads as success', () => {
    const looks = STATUSES.map((status) => msg({ status }))
    expect(new Set(looks.map((m) => m.color)).size).toBe(STATUSES.length)
    expect(new Set(looks.map((m) => m.emoji)).size).toBe(STATUSES.length)
    const rb = msg({ status: 'rolled-back' })
    expect(rb.title).toBe('↩️ Rolled back acme/shop on production')
    expect(rb.text).toMatch(/rolled back/)
    expect(rb.text).not.toMatch(/live|success/i)
  })

  test('title and message inputs replace the defaults; empty context facts are left out', () => {
    const m = buildMessage({ status: 'failure', title: 'Custom', message: 'Body' }, contextFromEnv({}), now)
    expect([m.title, m.text]).toEqual(['Custom', 'Body'])
    expect(m.facts.map((f) => f.label)).toEqual(['Status'])
  })

  test('on pull requests the branch is shown rather than 42/merge', () => {
    expect(contextFromEnv({ ...env, GITHUB_REF_NAME: '42/merge', GITHUB_HEAD_REF: 'topic' }).ref).toBe('topic')
  })

  test('durations read naturally', () => {
    expect([formatDuration(4_400), formatDuration(72_000), formatDuration(3_725_000)]).toEqual([
      '4s',
      '1m 12s',
      '1h 2m'
    ])
  })

  test('clip never splits an emoji and marks the cut', () => {
    expect(clip('abc', 3)).toBe('abc')
    expect(clip('abcdef', 4)).toBe('abc…')
    const cut = clip('ab😀cd', 4) // the emoji's pair would straddle the cut
    expect(cut).toBe('ab…')
    expect(cut.length).toBeLessThanOrEqual(4)
  })
})

describe('Slack', () => {
  test.each(STATUSES)('%s: valid Block Kit with a text fallback', (status) => {
    const p = slackPayload(msg({ status }))
    expect(checkSlackMessage(p)).toEqual([])
    expect(p.text).toContain(msg({ status }).title)
  })

  test('user text is escaped, links are Slack links', () => {
    const p = slackPayload(msg({ message: 'a <b> & c' }))
    expect(checkSlackMessage(p)).toEqual([])
    expect(JSON.stringify(p.blocks)).toContain('a &lt;b&gt; &amp; c')
    expect(JSON.stringify(p.blocks)).toContain('<https://github.com/acme/shop/actions/runs/4242|deploy #7>')
    expect(escapeMrkdwn('<&>')).toBe('&lt;&amp;&gt;')
  })

  test('long titles and messages are cut to Block Kit limits', () => {
    const p = slackPayload(msg({ title: 'T'.repeat(400), message: 'M'.repeat(5000), releaseId: 'R'.repeat(3000) }))
    expect(checkSlackMessage(p)).toEqual([])
  })
})

describe('Teams', () => {
  test.each(STATUSES)('%s: Workflows envelope around a valid Adaptive Card 1.4', (status) => {
    const p = teamsPayload(msg({ status })) as { attachments: Array<{ content: { version: string } }> }
    expect(checkTeamsEnvelope(p)).toEqual([])
    expect(p.attachments[0].content.version).toBe('1.4')
  })

  test('the checker is not a rubber stamp', () => {
    const bad = {
      type: 'message',
      attachments: [
        {
          contentType: 'application/json',
          content: { type: 'AdaptiveCard', version: '1.6', body: [{ type: 'TextBlok', text: 'x' }], actions: [] }
        }
      ]
    }
    const tooNew = {
      type: 'message',
      attachments: [
        {
          contentType: 'application/vnd.microsoft.card.adaptive',
          content: { type: 'AdaptiveCard', version: '1.4', body: [{ type: 'TextBlock', text: 'x', style: 'heading' }] }
        }
      ]
    }
    const errors = checkTeamsEnvelope(bad)
    expect(errors).toEqual(
      expect.arrayContaining([
        'contentType application/json',
        'version 1.6 is not one Teams renders (1.0..1.5)',
        expect.stringMatching(/Unknown element type "TextBlok"/)
      ])
    )
    expect(checkTeamsEnvelope(tooNew)).toEqual([expect.stringMatching(/"style" is supported in version 1.5/)])
  })
})

describe('Discord', () => {
  test.each(STATUSES)('%s: one embed within limits, mentions disabled', (status) => {
    const p = discordPayload(msg({ status }))
    expect(checkDiscordBody(p)).toEqual([])
    expect(p.allowed_mentions).toEqual({ parse: [] })
    expect(p.embeds?.[0].color).toBe(parseInt(msg({ status }).color.slice(1), 16))
  })

  test('over-long parts are truncated, not rejected, and the 6000 total holds', () => {
    const p = discordPayload(
      msg({
        title: 'T'.repeat(1000),
        message: 'M'.repeat(10_000),
        releaseId: 'R'.repeat(5000),
        environment: 'E'.repeat(2000)
      })
    )
    expect(checkDiscordBody(p)).toEqual([])
    const e = p.embeds![0]
    expect(e.title).toHaveLength(256)
    expect(embedSize(e)).toBeLessThanOrEqual(6000)
    expect(e.fields!.find((f) => f.name === 'Release')?.value.length).toBeLessThanOrEqual(1024)
  })

  test('the checker catches what Discord would reject', () => {
    expect(checkDiscordBody({ embeds: [{ title: 'x'.repeat(257), fields: [{ name: '', value: 'v' }] }] })).toEqual([
      'embeds[0]: title 257 > 256',
      'embeds[0].fields[0]: name length 0'
    ])
  })
})

describe('generic webhook', () => {
  test('the body carries the same facts as JSON', () => {
    expect(webhookBody(msg())).toMatchObject({
      schema: 1,
      event: 'deployment',
      status: 'success',
      repository: 'acme/shop',
      sha: env.GITHUB_SHA,
      environment: 'production',
      releaseId: '20261123T180000Z-0123456',
      runUrl: 'https://github.com/acme/shop/actions/runs/4242',
      durationMs: 72_000
    })
  })

  test('the signature is the hex HMAC-SHA256 of the exact body, verifiable with the secret only', () => {
    const body = JSON.stringify(webhookBody(msg()))
    const header = sign(body, 's3cret')
    expect(header).toMatch(/^sha256=[0-9a-f]{64}$/)
    expect(verifySignature(body, header, 's3cret')).toBe(true)
    expect(verifySignature(body, header, 'other')).toBe(false)
    expect(verifySignature(body + ' ', header, 's3cret')).toBe(false)
  })
})

describe('summary', () => {
  test('a table of channels with verdicts, attempts and reasons', () => {
    const md = notifySummary(msg(), [
      { channel: 'slack', ok: true, detail: 'HTTP 200', attempts: 1, durationMs: 12 },
      { channel: 'discord', ok: false, detail: 'HTTP 500 (after 4 attempts)', attempts: 4, durationMs: 3000 }
    ])
    expect(md).toContain('| slack | ✅ sent | 1 |')
    expect(md).toContain('| discord | ❌ failed | 4 |')
    expect(md).toContain('1 of 2 channel(s) failed')
    expect(md).toContain('| Run | [deploy #7](https://github.com/acme/shop/actions/runs/4242) |')
  })

  test('with no channel the summary still says what happened', () => {
    expect(notifySummary(msg(), [])).toContain('No channel configured')
  })
})

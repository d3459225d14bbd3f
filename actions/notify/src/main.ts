/** notify: read inputs → build the message → send to every channel → outputs, summary, report. */
import * as core from '@actions/core'
import {
  InputError,
  UserError,
  maskSecret,
  maskUrl,
  parseInputs,
  redact,
  runAction,
  stripUserinfo,
  setOutputs,
  writeReport,
  writeSummary
} from '@gantry/core'
import {
  buildMessage,
  discordWebhook,
  durationSinceStarted,
  genericWebhook,
  githubDeploymentStatus,
  markStarted,
  notifyAll,
  notifySummary,
  sentOutput,
  slackApi,
  slackWebhook,
  teamsWebhook,
  type Channel
} from '@gantry/notify'
import { inputs, secretInputs } from './inputs.js'

const webhookInputs = ['slack-webhook', 'teams-webhook', 'discord-webhook', 'webhook'] as const

/**
 * Webhook URLs carry their credential as a path segment or query value; a
 * server's error text may echo that token alone, so each long one is masked
 * by itself too (maskSecret covers the whole URL, path and query).
 */
function maskUrlTokens(value: string | undefined): void {
  if (!value) return
  const u = new URL(value)
  for (const segment of u.pathname.split('/')) if (segment.length >= 16) maskSecret(decodeURIComponent(segment))
  for (const v of u.searchParams.values()) if (v.length >= 16) maskSecret(v)
}

/**
 * A log line from text we do not control (titles, server errors): redacted,
 * and on one line, since a line of its own starting with `::` would be read
 * by the runner as a workflow command.
 */
function log(text: string): void {
  core.info(redact(text).replace(/[\r\n]+/g, ' '))
}

type Inputs = ReturnType<typeof parseInputs<'notify', typeof inputs>>

/** Combinations that cannot work, refused before anything is sent. */
function checkCombinations(i: Inputs): void {
  const need = (when: boolean, message: string) => {
    if (when) throw new InputError(message)
  }
  need(
    Boolean(i['slack-token'] && !i['slack-channel']),
    "Input 'slack-channel' is required with slack-token: expected a Slack channel id such as C0123456789"
  )
  need(
    Boolean(!i['slack-token'] && (i['slack-channel'] || i['slack-ts'])),
    `Input '${i['slack-ts'] ? 'slack-ts' : 'slack-channel'}' needs slack-token: expected a Slack bot token (xoxb-…) with chat:write`
  )
  need(Boolean(i['webhook-secret'] && !i.webhook), "Input 'webhook-secret' needs 'webhook': expected an http(s) URL")
  need(
    Boolean(i['github-deployment-id'] && !i.token),
    "Input 'token' is required with github-deployment-id: expected a GitHub token (default ${{ github.token }})"
  )
}

function channelsFor(i: Inputs): Channel[] {
  const out: Channel[] = []
  // Both Slack routes configured (e.g. a reusable workflow passing every
  // secret it has): the Web API wins, as only it can update in place.
  if (i['slack-webhook'] && i['slack-token']) {
    core.warning('slack-webhook is ignored because slack-token is set: Slack is sent through the Web API', {
      title: 'notify: slack'
    })
  } else if (i['slack-webhook']) out.push(slackWebhook(i['slack-webhook']))
  if (i['slack-token'] && i['slack-channel']) {
    out.push(slackApi({ token: i['slack-token'], channel: i['slack-channel'], ts: i['slack-ts'] }))
  }
  if (i['teams-webhook']) out.push(teamsWebhook(i['teams-webhook']))
  if (i['discord-webhook']) out.push(discordWebhook(i['discord-webhook']))
  if (i.webhook) out.push(genericWebhook(i.webhook, i['webhook-secret']))
  if (i['github-deployment-id'] && i.token) {
    out.push(githubDeploymentStatus({ token: i.token, deploymentId: i['github-deployment-id'] }))
  }
  return out
}

export async function run(): Promise<void> {
  await runAction(async () => {
    const started = new Date()
    const i = parseInputs('notify', inputs, { secrets: [...secretInputs] })
    // parseInputs masks the log; maskSecret also covers our own files (summary,
    // report) and the secret-bearing parts of webhook URLs.
    for (const name of secretInputs) maskSecret(i[name])
    for (const name of webhookInputs) maskUrlTokens(i[name])
    // environment-url: its password never leaves the step (the link is sent without userinfo, which
    // GitHub would show on the deployment); credential query values are masked here but kept in the link.
    maskUrl(i['environment-url'])
    checkCombinations(i)

    const environment = i.environment
    const durationMs = i.status === 'started' ? undefined : await durationSinceStarted(environment)
    if (i.status === 'started') await markStarted(environment)
    const message = buildMessage({
      status: i.status,
      title: i.title,
      message: i.message,
      environment,
      releaseId: i['release-id'],
      environmentUrl: i['environment-url'] && stripUserinfo(i['environment-url']),
      durationMs
    })

    const channels = channelsFor(i)
    if (channels.length === 0) core.info('No channel configured: writing the job summary only.')
    else log(`Notifying ${channels.map((c) => c.name).join(', ')}: ${message.title}`)
    const results = await notifyAll(message, channels, {
      policy: { timeoutMs: i.timeout },
      onRetry: (channel, msg, attempt, delay) => log(`${channel}: ${msg}; retry ${attempt} in ${delay} ms`)
    })

    const failed = results.filter((r) => !r.ok)
    for (const r of results) {
      // Error texts come from servers: redact in case one echoes a secret back.
      const line = redact(`${r.channel}: ${r.detail}`)
      if (r.ok) log(`✅ ${line}`)
      else if (i['fail-on-error']) core.error(line, { title: `notify: ${r.channel} failed` })
      else core.warning(line, { title: `notify: ${r.channel} failed` })
    }
    const slackTs = results.find((r) => r.slackTs)?.slackTs

    const report = await writeReport('notify', started, failed.length === 0, {
      status: i.status,
      title: message.title,
      message: message.text,
      facts: message.facts,
      channels: results,
      settings: { timeoutMs: i.timeout, failOnError: i['fail-on-error'] }
    })
    core.info(`Report: ${report}`)
    await writeSummary(notifySummary(message, results))
    const sent = Object.fromEntries(Object.entries(sentOutput(results)).map(([k, v]) => [k, redact(v)]))
    setOutputs('notify', { sent, 'slack-ts': slackTs ?? '', report })

    if (failed.length && i['fail-on-error']) {
      throw new UserError(
        `${failed.length} of ${results.length} channel(s) failed: ${failed.map((r) => r.channel).join(', ')}`
      )
    }
  })
}

/** notify: read inputs → build the message → send to every channel → outputs, summary, report. */
import * as core from '@actions/core'
import {
  UserError,
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
  checkChannels,
  durationSinceStarted,
  makeChannels,
  markStarted,
  maskChannelSecrets,
  notifyAll,
  notifySummary,
  sentOutput
} from '@gantry/notify'
import { inputs, secretInputs } from './inputs.js'

/**
 * A log line from text we do not control (titles, server errors): redacted,
 * and on one line, since a line of its own starting with `::` would be read
 * by the runner as a workflow command.
 */
function log(text: string): void {
  core.info(redact(text).replace(/[\r\n]+/g, ' '))
}

export async function run(): Promise<void> {
  await runAction(async () => {
    const started = new Date()
    const i = parseInputs('notify', inputs, { secrets: [...secretInputs] })
    // parseInputs masks the log; this also covers our own files (summary,
    // report) and the secret-bearing parts of the channels' URLs.
    maskChannelSecrets(i)
    // environment-url: its password never leaves the step (the link is sent without userinfo, which
    // GitHub would show on the deployment); credential query values are masked here but kept in the link.
    maskUrl(i['environment-url'])
    checkChannels(i)

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

    const channels = makeChannels(i, { warning: (text, title) => core.warning(text, { title }) })
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

// deploy.yml's email notifications, from the workflow's YAML through the local
// workflow runner: the sample app's ship.yml passes GANTRY_SMTP_URL,
// GANTRY_EMAIL_TO and GANTRY_EMAIL_FROM to deploy.yml, whose notify steps
// deliver to a real SMTP server on 127.0.0.1 (aiosmtpd, STARTTLS + AUTH).
import { afterEach, beforeAll, beforeEach, describe, expect, jest, test } from '@jest/globals'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { simpleParser } from 'mailparser'
import { startSampleWorld } from '../harness/sample-app.mjs'
import { allSteps } from '../harness/workflow.mjs'
import { makeCert, requireSmtp, startSmtp, type SmtpServer } from '../helpers/smtp.js'

jest.setTimeout(120_000)

const USER = 'deploy-bot@example.com'
const PASSWORD = 'wfSmtpPassw0rd!x'

let cert: { cert: string; key: string }
beforeAll(() => {
  requireSmtp()
  cert = makeCert()
})

type World = Awaited<ReturnType<typeof startSampleWorld>>
let world: World
let smtp: SmtpServer
beforeEach(async () => {
  world = await startSampleWorld()
  smtp = await startSmtp({ mode: 'starttls', cert, user: USER, password: PASSWORD })
})
afterEach(async () => {
  await smtp.stop()
  await world.stop()
})

/** The sample app's ship.yml, passing the email secrets instead of the webhook's. */
function emailShip(): string {
  const ship = readFileSync(join(world.project, '.github', 'workflows', 'ship.yml'), 'utf8')
  const mail = ship.replace(
    /GANTRY_WEBHOOK: .*\n\s*GANTRY_WEBHOOK_SECRET: .*\n/,
    [
      'GANTRY_SMTP_URL: ${{ secrets.SMTP_URL }}',
      '      GANTRY_EMAIL_TO: ${{ secrets.EMAIL_TO }}',
      '      GANTRY_EMAIL_FROM: ${{ secrets.EMAIL_FROM }}',
      ''
    ].join('\n')
  )
  expect(mail).not.toBe(ship)
  writeFileSync(join(world.project, '.github', 'workflows', 'ship-email.yml'), mail)
  return 'ship-email.yml'
}

describe('deploy.yml → notify email', () => {
  test('started, then rolled-back for a bad release: one thread per deployment, no secret in the run', async () => {
    const file = emailShip()
    const smtpUrl = `smtp://${encodeURIComponent(USER)}:${encodeURIComponent(PASSWORD)}@localhost:${smtp.port}`
    const run = () =>
      world.run(file, {
        secrets: { SMTP_URL: smtpUrl, EMAIL_TO: 'ops@example.com', EMAIL_FROM: 'Gantry <deploy@example.com>' },
        env: { NODE_EXTRA_CA_CERTS: cert.cert }
      })
    expect((await run()).result).toBe('success')
    world.commit({ version: 'v2', broken: true })
    const bad = await run()
    expect(bad.result).toBe('failure')

    const mails = await Promise.all(smtp.messages().map((m) => simpleParser(m)))
    expect(mails.map((m) => m.subject?.split(' ')[0])).toEqual(['🚀', '✅', '🚀', '↩️'])
    // Each result answers its own deployment's "started" message.
    expect(mails[1]!.inReplyTo).toBe(mails[0]!.messageId)
    expect(mails[3]!.inReplyTo).toBe(mails[2]!.messageId)
    expect(mails[2]!.messageId).not.toBe(mails[0]!.messageId)
    expect(smtp.events.filter((e) => e.event === 'stored').every((e) => e.tls)).toBe(true)

    // What GitHub shows (each step's log, summary, annotations, outputs) and what was mailed; the
    // runner's own ::add-mask:: lines aside.
    const shown = allSteps(bad).map((s) =>
      JSON.stringify({ ...s, inputs: undefined, stdout: s.stdout?.replace(/^::add-mask::.*$/gm, '') })
    )
    const everything = shown.join('') + mails.map((m) => `${m.text}${m.html}`).join('')
    expect(shown.join('')).toContain('Notify result')
    for (const secret of [PASSWORD, encodeURIComponent(PASSWORD), smtpUrl]) expect(everything).not.toContain(secret)
  })
})

// One scan for secrets across every action, through the shipped bundles (the
// harness runs dist/<name>/index.js as the runner does): each planted secret,
// in each encoding a writer may give it (raw, JSON-escaped, percent-encoded,
// base64 as in `Basic`, Markdown- and XML-escaped), must not occur in what a
// user or an artifact upload sees: stdout and stderr (as the runner shows them:
// a value is masked only on lines after its ::add-mask::), the job summary,
// the outputs, the report and every file under RUNNER_TEMP (reports, JUnit).
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runAction, type RunResult, type StepResult } from '../harness/runner.mjs'
import { exampleResponse, startGitHubApi, type GitHubApi } from '../helpers/github-api.js'
import { readBody, startServer, type TestServer } from '../helpers/http.js'
import { startSlackApi, type SlackApi } from '../helpers/notify-receivers.js'

jest.setTimeout(120_000)

/** A secret with the characters that each encoding changes: `"` and `\` (JSON), space, `/`, `@`, `|` (URLs, Markdown), `&`, `<` (XML). */
const planted = (tag: string) => `${tag}"q\\7 z/W@k|x&<Y9m`

interface Secret {
  name: string
  value: string
  /** The user name it is sent with in a URL's userinfo (its `Basic` form is base64 of user:value). */
  user?: string
}

const SECRETS = {
  gatePassword: { name: 'health-gate url password', value: planted('HgPw'), user: 'gantry' },
  gateApiKey: { name: 'health-gate ?api_key=', value: planted('HgKey') },
  gateToken: { name: 'health-gate ?token=', value: planted('HgTok') },
  gateAuth: { name: 'health-gate Authorization header', value: planted('HgAuth') },
  smokePassword: { name: 'smoke-test base-url password', value: planted('SmPw'), user: 'smoker' },
  smokeEnv: { name: 'smoke-test ${SMOKE_*} from env', value: planted('SmEnv') },
  runtimeToken: { name: 'ACTIONS_RUNTIME_TOKEN in env', value: planted('RtTok') },
  notifyEnvPassword: { name: 'notify environment-url password', value: planted('NtPw'), user: 'viewer' },
  notifyEnvToken: { name: 'notify environment-url ?token=', value: planted('NtQTok') },
  webhookSecret: { name: 'notify webhook-secret', value: planted('NtWhs') },
  slackToken: { name: 'notify slack-token', value: `xoxb-${planted('NtSlk')}` },
  githubToken: { name: 'GitHub token', value: `ghs_${planted('GhTok')}` },
  webhookPath: { name: 'notify webhook URL token', value: 'T0Kx9WhPathSecret7Qz' },
  sshKey: { name: 'ssh-key', value: planted('SshKeyLine') },
  rollbackPassword: { name: 'auto-rollback health-url password', value: planted('ArPw'), user: 'watcher' },
  rollbackToken: { name: 'auto-rollback health-url ?token=', value: planted('ArTok') }
} satisfies Record<string, Secret>
const ALL: Secret[] = Object.values(SECRETS)

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64')
const enc = encodeURIComponent

/**
 * Every form of a secret a writer may produce, each must be absent: the value
 * as it is, percent-encoded (as encodeURIComponent, a form body, and the URL
 * parser in a query, a path and userinfo give it), base64 (and base64 of
 * user:value, a `Basic` credential); each of those also as a JSON string holds
 * it (once, and twice: JSON inside JSON), Markdown-table- and XML-escaped.
 */
function forms(s: Secret): Array<[string, string]> {
  const v = s.value
  const q = new URL('http://h/')
  q.search = v
  const p = new URL('http://h/')
  p.pathname = v
  const ui = new URL('http://h/')
  ui.password = v
  const inner: Array<[string, string]> = [
    ['raw', v],
    ['percent-encoded', enc(v)],
    ['percent-encoded (query)', q.search.slice(1)],
    ['percent-encoded (path)', p.pathname.slice(1)],
    ['percent-encoded (userinfo)', ui.password],
    ['percent-encoded (form)', new URLSearchParams({ a: v }).toString().slice(2)],
    ['base64', b64(v)]
  ]
  if (s.user) inner.push(['base64 Basic', b64(`${s.user}:${v}`)])
  const outer: Array<[string, (x: string) => string]> = [
    ['', (x) => x],
    [', JSON-escaped', (x) => JSON.stringify(x).slice(1, -1)],
    [', JSON-escaped twice', (x) => JSON.stringify(JSON.stringify(x)).slice(3, -3)],
    [', Markdown-escaped', (x) => x.replace(/\\/g, '\\\\').replace(/\|/g, '\\|')],
    [
      ', XML-escaped',
      (x) => x.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
    ]
  ]
  const out = new Map<string, string>()
  for (const [name, x] of inner) for (const [how, f] of outer) if (!out.has(f(x))) out.set(f(x), `${name}${how}`)
  return [...out].map(([value, name]) => [name, value])
}

const unescapeCommand = (s: string) =>
  s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%3A/g, ':').replace(/%2C/g, ',').replace(/%25/g, '%')

/** stdout as the runner shows it: ::add-mask:: lines consumed, each value masked from the next line on. */
function asShown(stdout: string): string {
  const masks: string[] = []
  const lines: string[] = []
  for (const line of stdout.split('\n')) {
    const m = /^::add-mask::(.*)$/.exec(line)
    if (m) {
      const v = unescapeCommand(m[1] ?? '')
      if (v) masks.push(v)
      masks.sort((a, b) => b.length - a.length)
      continue
    }
    // A workflow command (::error ...::message) is shown with its data unescaped.
    let shown = /^::[a-z-]+( [^:]*)?::/.test(line) ? unescapeCommand(line) : line
    for (const v of masks) shown = shown.split(v).join('***')
    lines.push(shown)
  }
  return lines.join('\n')
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n)
    return statSync(p).isDirectory() ? filesUnder(p) : [p]
  })
}

/** What a user (or an uploaded artifact) sees of one run. */
function surfaces(r: RunResult): Array<[string, string]> {
  const steps: Array<[string, StepResult]> = [['main', r]]
  if (r.post) steps.push(['post', r.post])
  const out: Array<[string, string]> = []
  for (const [step, s] of steps) {
    out.push([`${step} stdout`, asShown(s.stdout)], [`${step} stderr`, asShown(s.stderr)])
    out.push([`${step} summary`, s.summary], [`${step} outputs`, JSON.stringify(s.outputs)])
    for (const [k, v] of Object.entries(s.outputs)) out.push([`${step} output ${k}`, v])
  }
  for (const f of filesUnder(join(r.workDir, 'runner-temp')))
    out.push([f.slice(r.workDir.length + 1), readFileSync(f, 'utf8')])
  if (r.outputs.report && existsSync(r.outputs.report)) out.push(['report', readFileSync(r.outputs.report, 'utf8')])
  if (r.outputs.junit && existsSync(r.outputs.junit)) out.push(['junit', readFileSync(r.outputs.junit, 'utf8')])
  return out
}

const leaks: string[] = []
function scan(label: string, r: RunResult): void {
  for (const [where, text] of surfaces(r)) {
    for (const s of ALL) {
      for (const [form, v] of forms(s)) if (text.includes(v)) leaks.push(`${label}: ${s.name} (${form}) in ${where}`)
    }
  }
}

/** Each test checks its own runs; the message lists every leak found. */
function expectNoLeaks(label: string): void {
  const mine = leaks.filter((l) => l.startsWith(`${label}`))
  expect(mine).toEqual([])
}

// ---- servers ------------------------------------------------------------

/** Echoes the request line and every header back, as a debugging endpoint would (and a failing body may). */
async function echo(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req)
  seen.push(`${req.url} ${JSON.stringify(req.headers)} ${body}`)
  const url = new URL(req.url ?? '/', 'http://x')
  const status = Number(url.searchParams.get('status') ?? (url.pathname.includes('fail') ? 500 : 200))
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify({ url: req.url, headers: req.headers, body }))
}

/** What the echo server received: proof that a planted secret was in play (sent), not just given. */
const seen: string[] = []
/** A secret reached the server (in one of its forms: a URL, a header, a Basic credential). */
const sent = (s: Secret) => seen.some((t) => forms(s).some(([, v]) => t.includes(v)))

let root: string
let server: TestServer
let api: GitHubApi
let slack: SlackApi
const env = () => ({ GITHUB_API_URL: api.url, ACTIONS_RUNTIME_TOKEN: SECRETS.runtimeToken.value })
const hostPort = () => `127.0.0.1:${server.port}`

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'gantry-e2e-secrets-'))
  server = await startServer(echo)
  api = await startGitHubApi()
  let next = 100
  api.respond('repos/create-deployment', () => {
    const ex = exampleResponse('repos/create-deployment')
    return { status: 201, body: { ...(ex.body as object), id: ++next } }
  })
  slack = await startSlackApi(SECRETS.slackToken.value)
})
afterAll(async () => {
  await server?.close()
  await api?.close()
  await slack?.close()
  rmSync(root, { recursive: true, force: true })
})

function write(rel: string, text: string): string {
  const p = join(root, rel)
  mkdirSync(join(p, '..'), { recursive: true })
  writeFileSync(p, text)
  return p
}

// ---- the actions ----------------------------------------------------------

describe('no planted secret, in any encoding, reaches stdout, summary, outputs or a report', () => {
  test('health-gate: url password, ?api_key= and ?token= values, Authorization header', async () => {
    const url = (path: string) =>
      `http://${SECRETS.gatePassword.user}:${enc(SECRETS.gatePassword.value)}@${hostPort()}${path}` +
      `?api_key=${enc(SECRETS.gateApiKey.value)}&token=${enc(SECRETS.gateToken.value)}&plain=1`
    const common = {
      headers: `Authorization: Bearer ${SECRETS.gateAuth.value}`,
      interval: '50ms',
      'max-wait': '1s',
      'healthy-threshold': 1,
      samples: 3
    }
    const ok = await runAction('health-gate', { inputs: { ...common, url: url('/health') }, env: env() })
    expect(ok.code).toBe(0)
    scan('health-gate', ok)
    // Failing: the reasons quote the body, which echoes the request.
    const bad = await runAction('health-gate', {
      inputs: { ...common, url: url('/health'), 'expect-body': 'never-there' },
      env: env()
    })
    expect(bad.code).toBe(1)
    scan('health-gate', bad)
    const five = await runAction('health-gate', { inputs: { ...common, url: url('/fail') }, env: env() })
    expect(five.code).toBe(1)
    scan('health-gate', five)
    // Bad input: the one line names the input and the value, its credentials redacted.
    const input = await runAction('health-gate', {
      inputs: { ...common, url: `http://gantry:${enc(SECRETS.gatePassword.value)}@127.0.0.1:99999/` },
      env: env()
    })
    expect(input.code).toBe(1)
    expect(input.annotations[0]?.message).toMatch(
      /^Input 'url' has invalid value 'http:\/\/gantry:\*\*\*@127\.0\.0\.1:99999\/'/
    )
    scan('health-gate', input)
    // (The gate's client, undici, does not send a URL's userinfo: the password is given, never sent.)
    for (const s of [SECRETS.gateApiKey, SECRETS.gateToken, SECRETS.gateAuth])
      expect([s.name, sent(s)]).toEqual([s.name, true])
    expectNoLeaks('health-gate')
  })

  test('smoke-test: base-url credentials (and the Basic header built from them), ${SMOKE_*} from env', async () => {
    const spec = write(
      'smoke/spec.yml',
      [
        'checks:',
        '  - name: echo',
        '    request:',
        '      url: /echo?t=${SMOKE_TOKEN}',
        '      headers:',
        '        X-Custom: ${SMOKE_TOKEN}',
        '      json: { value: "${SMOKE_TOKEN}" }',
        '      method: POST',
        '    capture:',
        '      seen: $.url',
        '  - name: fails and shows the echoed body',
        '    request:',
        '      url: /fail/${SMOKE_TOKEN}',
        '    expect:',
        '      status: 200',
        '      body-contains: never-there',
        '  - name: body mismatch',
        '    needs: [echo]',
        '    request: { url: "/echo?seen=${seen}" }',
        '    expect:',
        '      json:',
        '        $.headers.authorization: nope',
        '        $.url: nope',
        ''
      ].join('\n')
    )
    const r = await runAction('smoke-test', {
      inputs: {
        spec,
        'base-url': `http://${SECRETS.smokePassword.user}:${enc(SECRETS.smokePassword.value)}@${hostPort()}/api`,
        junit: join(root, 'smoke', 'junit.xml'),
        retries: 0
      },
      env: { ...env(), SMOKE_TOKEN: SECRETS.smokeEnv.value }
    })
    expect(r.code).toBe(1)
    expect(r.outputs).toMatchObject({ total: '3', failed: '2' })
    for (const s of [SECRETS.smokePassword, SECRETS.smokeEnv]) expect([s.name, sent(s)]).toEqual([s.name, true])
    scan('smoke-test', r)
    expectNoLeaks('smoke-test')
  })

  test('smoke-test: ${VAR} does not read the step environment outside SMOKE_*', async () => {
    const spec = write(
      'smoke/runtime.yml',
      ['checks:', '  - name: steal', '    request:', '      url: /echo?t=${ACTIONS_RUNTIME_TOKEN}', ''].join('\n')
    )
    const r = await runAction('smoke-test', {
      inputs: { spec, 'base-url': `http://${hostPort()}` },
      env: env()
    })
    expect(r.code).toBe(1)
    expect(r.annotations.map((a) => a.message).join('\n')).toMatch(/undefined variable \$\{ACTIONS_RUNTIME_TOKEN\}/)
    expect(sent(SECRETS.runtimeToken)).toBe(false)
    scan('smoke-test runtime', r)
    expectNoLeaks('smoke-test runtime')
  })

  test('notify: environment-url password and ?token=, webhook secret and URL, slack token, GitHub token', async () => {
    const hook = `http://${hostPort()}/hooks/${SECRETS.webhookPath.value}`
    const r = await runAction('notify', {
      inputs: {
        status: 'failure',
        title: 'deploy',
        environment: 'production',
        'release-id': 'r1',
        'environment-url':
          `http://${SECRETS.notifyEnvPassword.user}:${enc(SECRETS.notifyEnvPassword.value)}@${hostPort()}/app` +
          `?token=${enc(SECRETS.notifyEnvToken.value)}`,
        webhook: hook,
        'webhook-secret': SECRETS.webhookSecret.value,
        'discord-webhook': `http://${hostPort()}/fail/${SECRETS.webhookPath.value}`,
        'slack-token': SECRETS.slackToken.value,
        'slack-channel': 'C0123456789',
        'github-deployment-id': 42,
        timeout: '2s'
      },
      token: SECRETS.githubToken.value,
      env: { ...env(), GANTRY_SLACK_API_URL: slack.url }
    })
    expect(JSON.parse(r.outputs.sent ?? '{}')).toMatchObject({
      webhook: 'ok',
      slack: 'ok',
      discord: expect.any(String)
    })
    expect(slack.calls.length).toBeGreaterThan(0)
    expect(api.calls('repos/create-deployment-status').length).toBeGreaterThan(0)
    expect([SECRETS.webhookPath.name, sent(SECRETS.webhookPath)]).toEqual([SECRETS.webhookPath.name, true])
    // The link every channel receives has no userinfo: the environment-url password never leaves the step.
    const hookBodies = seen.filter((t) => t.startsWith('/hooks/'))
    expect(hookBodies.length).toBeGreaterThan(0)
    expect(hookBodies.join('\n')).toContain(`@${hostPort()}/app`.slice(1))
    for (const [form, v] of forms(SECRETS.notifyEnvPassword))
      expect([form, hookBodies.some((t) => t.includes(v))]).toEqual([form, false])
    expect(JSON.stringify(slack.calls.map((c) => c.json))).not.toContain('viewer:')
    scan('notify', r)
    expectNoLeaks('notify')
  })

  test('deploy-atomic: token (GitHub deployment), ssh-key', async () => {
    const src = write('src/r1/index.html', 'r1')
    const r = await runAction('deploy-atomic', {
      inputs: {
        source: join(src, '..'),
        path: join(root, 'app'),
        'release-id': 'r1',
        'github-deployment': true,
        'ssh-key': `-----BEGIN OPENSSH PRIVATE KEY-----\n${SECRETS.sshKey.value}\n-----END OPENSSH PRIVATE KEY-----`
      },
      token: SECRETS.githubToken.value,
      env: env()
    })
    expect(r.code).toBe(0)
    scan('deploy-atomic', r)
    write('src/r2/index.html', 'r2')
    const r2 = await runAction('deploy-atomic', {
      inputs: { source: join(root, 'src', 'r2'), path: join(root, 'app'), 'release-id': 'r2' },
      env: env()
    })
    expect(r2.code).toBe(0)
    expectNoLeaks('deploy-atomic')
  })

  test('auto-rollback: health-url password and ?token=, token', async () => {
    const url = (path: string) =>
      `http://${SECRETS.rollbackPassword.user}:${enc(SECRETS.rollbackPassword.value)}@${hostPort()}${path}` +
      `?token=${enc(SECRETS.rollbackToken.value)}`
    const base = join(root, 'app')
    if (!existsSync(join(base, 'current'))) throw new Error('needs the deploy-atomic test first')
    // A watch that sees a breach (every probe a 500), then the rollback and its health check.
    const r = await runAction('auto-rollback', {
      inputs: {
        path: base,
        watch: '1s',
        interval: '100ms',
        'unhealthy-threshold': 2,
        'health-url': url('/fail'),
        'github-deployment-id': 101
      },
      token: SECRETS.githubToken.value,
      env: env()
    })
    expect(r.outputs).toMatchObject({ 'rolled-back': 'true', from: 'r2', to: 'r1' })
    for (const s of [SECRETS.rollbackToken]) expect([s.name, sent(s)]).toEqual([s.name, true])
    scan('auto-rollback', r)
    // Bad input: the line names health-url and its value, credentials redacted.
    const input = await runAction('auto-rollback', {
      inputs: {
        path: base,
        watch: '1s',
        'health-url': `http://watcher:${enc(SECRETS.rollbackPassword.value)}@127.0.0.1:99999/`
      },
      env: env()
    })
    expect(input.code).toBe(1)
    expect(input.annotations[0]?.message).toMatch(/^Input 'health-url' has invalid value 'http:\/\/watcher:\*\*\*@127/)
    scan('auto-rollback', input)
    expectNoLeaks('auto-rollback')
  })

  test('build-cache: the runtime token in env', async () => {
    const ws = join(root, 'ws')
    write('ws/out/a.txt', 'a')
    write('ws/in.txt', 'in')
    const r = await runAction('build-cache', {
      inputs: { path: 'out', 'key-files': 'in.txt', backend: 'local', 'local-dir': join(root, 'cache') },
      workspace: ws,
      env: env()
    })
    expect(r.code).toBe(0)
    scan('build-cache', r)
    expectNoLeaks('build-cache')
  })
})

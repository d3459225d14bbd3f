#!/usr/bin/env node
// smoke-test vs newman: one 500-check suite (login, then 499 authenticated JSON
// checks with the same assertions) against a local API server in its own
// process. smoke-test runs as the runner runs it (the dist bundle, INPUT_* env);
// newman runs the equivalent Postman collection (test scripts, token in a
// collection variable). Wall time and peak RSS (GNU time's %M) of each tool's
// process; medians of 3 runs, all in one run on the same machine.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fmt, median, repoRoot, startChildServer, writeSection } from './lib/util.mjs'

const CHECKS = 500
const BIG = 2000
const RUNS = 3
/** smoke-test runs are short, so a busy machine moves them more: take the median of more. */
const SMOKE_RUNS = 5

// ---- the API server (child process mode) ------------------------------------
if (process.argv[2] === 'serve') {
  const tokens = new Set()
  const server = createServer((req, res) => {
    const json = (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(body))
    }
    if (req.method === 'POST' && req.url === '/login') {
      req.resume()
      req.on('end', () => {
        const token = randomBytes(16).toString('hex')
        tokens.add(token)
        json(200, { token })
      })
      return
    }
    const m = /^\/items\/(\d+)$/.exec(req.url ?? '')
    const auth = /^Bearer (\w+)$/.exec(req.headers.authorization ?? '')
    if (!m) return json(404, { error: 'not found' })
    if (!auth || !tokens.has(auth[1])) return json(401, { error: 'unauthorized' })
    const id = Number(m[1])
    json(200, { id, name: `item-${id}`, price: 1 + (id % 50), tags: ['a', 'b', 'c'], owner: { id: 7 } })
  })
  server.keepAliveTimeout = 60_000
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`))
  process.on('SIGTERM', () => server.close(() => process.exit(0)))
} else {
  await main()
}

// ---- the equivalent suites --------------------------------------------------

function smokeSpec(n) {
  const lines = [
    'checks:',
    '  - name: login',
    '    request: { method: POST, url: /login, json: { user: bench } }',
    '    expect: { status: 200, json: { $.token: { exists: true } } }',
    '    capture: { token: $.token }'
  ]
  for (let i = 1; i < n; i++) {
    lines.push(
      `  - name: item ${i}`,
      '    needs: login',
      `    request: { url: /items/${i}, headers: { Authorization: 'Bearer \${token}' } }`,
      '    expect:',
      '      status: 200',
      '      headers: { content-type: /json/ }',
      `      body-contains: item-${i}`,
      `      json: { $.id: ${i}, $.tags: { length: 3 }, $.price: { gt: 0 } }`
    )
  }
  return lines.join('\n') + '\n'
}

function newmanCollection(baseUrl, n) {
  const item = (i) => ({
    name: `item ${i}`,
    request: {
      method: 'GET',
      url: `${baseUrl}/items/${i}`,
      header: [{ key: 'Authorization', value: 'Bearer {{token}}' }]
    },
    event: [
      {
        listen: 'test',
        script: {
          exec: [
            'pm.test("status", () => pm.response.to.have.status(200));',
            'pm.test("content-type", () => pm.expect(pm.response.headers.get("Content-Type")).to.match(/json/));',
            `pm.test("body contains", () => pm.expect(pm.response.text()).to.include("item-${i}"));`,
            'const body = pm.response.json();',
            `pm.test("$.id", () => pm.expect(body.id).to.eql(${i}));`,
            'pm.test("$.tags length", () => pm.expect(body.tags).to.have.lengthOf(3));',
            'pm.test("$.price gt", () => pm.expect(body.price).to.be.above(0));'
          ]
        }
      }
    ]
  })
  return {
    info: { name: 'bench', schema: 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json' },
    variable: [{ key: 'token', value: '' }],
    item: [
      {
        name: 'login',
        request: {
          method: 'POST',
          url: `${baseUrl}/login`,
          header: [{ key: 'Content-Type', value: 'application/json' }],
          body: { mode: 'raw', raw: '{"user":"bench"}' }
        },
        event: [
          {
            listen: 'test',
            script: {
              exec: [
                'pm.test("status", () => pm.response.to.have.status(200));',
                'const t = pm.response.json().token;',
                'pm.test("$.token exists", () => pm.expect(t).to.exist);',
                'pm.collectionVariables.set("token", t);'
              ]
            }
          }
        ]
      },
      ...Array.from({ length: n - 1 }, (_, k) => item(k + 1))
    ]
  }
}

// ---- measuring ----------------------------------------------------------------

/** Runs argv under GNU time; returns wall ms, peak RSS (KiB), exit code, output. */
function measure(argv, env, cwd) {
  const rssFile = join(tmpdir(), `gantry-bench-rss-${randomBytes(4).toString('hex')}`)
  return new Promise((resolve, reject) => {
    const start = performance.now()
    const child = spawn('/usr/bin/time', ['-o', rssFile, '-f', '%M', ...argv], {
      env,
      cwd,
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (out += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000)
    child.on('error', reject)
    child.on('exit', (code) => {
      clearTimeout(timer)
      const wallMs = performance.now() - start
      const rssKiB = Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop())
      rmSync(rssFile, { force: true })
      resolve({ wallMs, rssKiB, code, out })
    })
  })
}

/** The action's passed output (file-command syntax) says every check passed. */
function passedAll(work, n) {
  return new RegExp(`^passed<<(\\S+)\\n${n}\\n\\1$`, 'm').test(readFileSync(join(work, 'output'), 'utf8'))
}

async function main() {
  if (!existsSync('/usr/bin/time'))
    throw new Error('bench smoke-test: needs GNU time at /usr/bin/time (apt-get install time)')
  const newmanBin = join(repoRoot, 'node_modules', 'newman', 'bin', 'newman.js')
  if (!existsSync(newmanBin)) throw new Error('bench smoke-test: newman is not installed (it is a devDependency)')
  const dist = join(repoRoot, 'dist', 'smoke-test', 'index.js')

  // Other work on the machine slows the short smoke-test runs more than newman's: say how busy it was.
  const load = loadavg()[0]
  const server = await startChildServer(new URL(import.meta.url).pathname, ['serve'])
  const baseUrl = `http://127.0.0.1:${server.port}`
  const work = mkdtempSync(join(tmpdir(), 'gantry-bench-smoke-'))
  try {
    const runnerEnv = (concurrency) => {
      for (const f of ['output', 'summary']) writeFileSync(join(work, f), '')
      return {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        RUNNER_TEMP: work,
        GITHUB_WORKSPACE: work,
        GITHUB_OUTPUT: join(work, 'output'),
        GITHUB_STEP_SUMMARY: join(work, 'summary'),
        INPUT_SPEC: 'spec.yml',
        'INPUT_BASE-URL': baseUrl,
        INPUT_VARS: '',
        INPUT_CONCURRENCY: String(concurrency),
        INPUT_RETRIES: '0',
        INPUT_TIMEOUT: '10s',
        INPUT_JUNIT: join(work, 'junit.xml'),
        'INPUT_FAIL-FAST': 'false'
      }
    }
    const smokeTool = (name, concurrency, nodeFlags = []) => ({
      name,
      run: () => measure([process.execPath, ...nodeFlags, dist], runnerEnv(concurrency), work),
      ok: (_r, n) => passedAll(work, n)
    })
    const newman = {
      name: 'newman 6 (`newman run`, CLI reporter)',
      run: () =>
        measure(
          [process.execPath, newmanBin, 'run', 'collection.json', '--reporters', 'cli', '--disable-unicode'],
          { PATH: process.env.PATH, HOME: process.env.HOME },
          work
        ),
      ok: (r) => r.code === 0
    }
    const fastTool = smokeTool('smoke-test, concurrency 8 (default)', 8)
    const seqTool = smokeTool('smoke-test, concurrency 1 (sequential, like newman)', 1)
    // Attribution only (not how the action runs): a V8 flag that keeps the young generation small.
    const flagged = smokeTool('smoke-test, default, under `node --max-semi-space-size=1`', 8, [
      '--max-semi-space-size=1'
    ])

    async function suite(n, tools, runs) {
      writeFileSync(join(work, 'spec.yml'), smokeSpec(n))
      writeFileSync(join(work, 'collection.json'), JSON.stringify(newmanCollection(baseUrl, n)))
      const results = []
      for (const t of tools) {
        const all = []
        const count = runs === 1 ? 1 : t === newman ? RUNS : SMOKE_RUNS
        for (let i = 0; i < count; i++) {
          const r = await t.run()
          if (r.code !== 0 || !t.ok(r, n)) {
            console.error(r.out.slice(-3000))
            throw new Error(`bench smoke-test: ${t.name} did not pass all ${n} checks (exit ${r.code})`)
          }
          all.push(r)
          console.log(`${n} checks, ${t.name}: ${fmt(r.wallMs)} ms, ${fmt(r.rssKiB / 1024, 1)} MiB`)
        }
        results.push({ tool: t, wallMs: median(all.map((r) => r.wallMs)), rssKiB: median(all.map((r) => r.rssKiB)) })
      }
      return results
    }

    // Context for the memory: an empty node process, and the bundle loaded (it stops at the missing spec input).
    const emptyNode = median(
      await Promise.all(
        [0, 1, 2].map(() => measure([process.execPath, '-e', '0'], { PATH: process.env.PATH }, work))
      ).then((rs) => rs.map((r) => r.rssKiB))
    )
    const loaded = await measure([process.execPath, dist], { PATH: process.env.PATH, RUNNER_TEMP: work }, work)
    const main500 = await suite(CHECKS, [fastTool, seqTool, newman, flagged], RUNS)
    const big = await suite(BIG, [fastTool, newman], 1)

    const row = (results) => {
      const peer = results.find((r) => r.tool === newman)
      return results.map(
        (r) =>
          `| ${r.tool.name} | ${fmt(r.wallMs)} ms | ${fmt(r.rssKiB / 1024, 1)} MiB | ${r === peer ? '1×' : `${fmt(peer.wallMs / r.wallMs, 1)}× faster`} | ${r === peer ? '1×' : `${fmt(r.rssKiB / peer.rssKiB, 2)}×`} |`
      )
    }
    const peer = main500.find((r) => r.tool === newman)
    const at = (tool) => main500.find((r) => r.tool === tool)
    const speed = (tool) => peer.wallMs / at(tool).wallMs
    const mem = (tool) => at(tool).rssKiB / peer.rssKiB
    const verdict = (ok) => (ok ? '✅ met' : '❌ missed')
    const head = '| tool | wall time | peak RSS | speed vs newman | memory vs newman |\n| --- | --- | --- | --- | --- |'
    const md = `## smoke-test — a ${CHECKS}-check suite vs newman

Suite: log in (capture the token), then authenticated GETs of JSON items, each asserting status, a
content-type regex, a body substring, a JSONPath value, an array length and a number bound (6 assertions
per check; newman runs the same assertions as \`pm.test\` scripts, the token in a collection variable).
Server: a Node HTTP server in its own process on 127.0.0.1. Each tool is a fresh process (smoke-test: the
committed \`dist/smoke-test/index.js\` with the runner's \`INPUT_*\` environment, writing its summary, JSON
report and JUnit XML; newman: \`newman run\` with the CLI reporter). Wall time and peak RSS (GNU time \`%M\`) of each tool's process;
same machine, one run (${cpus().length} cores, Node ${process.version}, 1-minute load average ${fmt(load, 1)} at the start).

### ${CHECKS} checks (medians of ${SMOKE_RUNS} runs of smoke-test, ${RUNS} of newman)

${head}
${row(main500).join('\n')}

### ${BIG} checks (one run each: how the two grow)

${head}
${row(big).join('\n')}

| Goal | Result | Verdict |
| --- | --- | --- |
| ≥ 5× faster than newman (${CHECKS} checks) | ${fmt(speed(fastTool), 1)}× at the default concurrency; ${fmt(speed(seqTool), 1)}× sequential | ${verdict(speed(fastTool) >= 5)} |
| ≤ ½ newman's peak memory (${CHECKS} checks) | ${fmt(mem(fastTool), 2)}× at the default concurrency; ${fmt(mem(seqTool), 2)}× sequential | ${verdict(mem(fastTool) <= 0.5)} |

Why the speed: smoke-test loads the spec once, sends requests on a node:http keep-alive agent and runs
independent checks in parallel up to \`concurrency\`; newman runs items one after another and evaluates each
item's test script in a sandbox. The sequential row isolates the per-check cost from the parallelism.

Where the memory goes: an empty \`node\` process is ${fmt(emptyNode / 1024, 1)} MiB here, and loading the bundle (zod,
yaml, @actions/core with the @actions/http-client and undici it imports) brings the action to
${fmt(loaded.rssKiB / 1024, 1)} MiB before it reads the spec. The action's own data is small: a heap snapshot after the
run holds ~4 MiB more than one before the spec is read. The rest is how V8 runs the work: \`yaml\` allocates
~150 MB while it parses the 500 checks (its lexer and parser are generators), which is garbage waiting for a
mark-compact, grows the young generation (its semi-spaces go from 4 to 16 MiB when enough objects survive
scavenges), and makes V8 optimise the parser's hot functions (TurboFan's compile zones: ~10 MiB here, measured
by running the same suite under \`--no-opt\`). The flagged row caps the young generation to show its share; it
is not how the action runs.

What was cut: requests go through node:http, whose HTTP parser is native, rather than undici, whose
WebAssembly parser cost ~35 MiB of peak RSS to compile (0.99× newman before); a block-style checks list is
parsed one check at a time instead of as one YAML document (~25 MiB at 2,000 checks); the part of the spec
around the list is parsed with the list cut out — it used to be blanked a character at a time, and that
replace built a list as long as the spec which by itself doubled the young generation (~10 MiB);
each check's source positions are an array of offsets over a shape that checks written alike share,
instead of a map of whole-path strings (~5 MiB here, ~13 MiB at 2,000 checks); and the bundle is written in ASCII, so V8 holds its 1.9 MB source at one byte per character instead of two
(~2 MiB, in every action). Why the goal is still missed: what remains is Node's own footprint and how V8
sizes its heap and compiles, which an action cannot set — \`runs.using\` starts node without flags, Node
documents changing V8 flags at run time as unsafe, and running the action in a worker thread with a
young-generation limit cost more than it saved (measured ~96 MiB at 500 checks). Setting V8 flags from
inside the action with \`v8.setFlagsFromString\` was measured apart from this run (three runs each): \`--semi-space-growth-factor=1\`
or \`--no-opt\` as the bundle's first line each gave ~79 MiB; not adopted, because Node documents it as
unsafe after start-up and the runner's Node 24 has a newer V8 whose young generation these flags may not
govern. Minifying the bundle was
measured too (~5 MiB less at 500 checks) and not adopted: a reviewer could no longer read the committed
\`dist/\`.
`
    writeSection('smoke-test', md)
  } finally {
    await server.stop()
    rmSync(work, { recursive: true, force: true })
  }
}

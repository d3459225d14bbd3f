/** smoke-test: read inputs → load the spec → run it (@gantry/probe) → annotations, JUnit, summary, report, outputs. */
import * as core from '@actions/core'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, isAbsolute, relative, resolve } from 'node:path'
import {
  InputError,
  UserError,
  checkFileSize,
  checkOutputFile,
  maskSecret,
  maskUrl,
  parseInputs,
  redact,
  runAction,
  setOutputs,
  writeReport,
  writeSummary
} from '@gantry/core'
import * as smoke from '@gantry/probe/smoke'
import { inputs } from './inputs.js'

export async function run(): Promise<void> {
  await runAction(async () => {
    const started = new Date()
    const i = parseInputs('smoke-test', inputs)
    // vars whose names say they hold a credential are masked before anything is printed.
    for (const [k, v] of Object.entries(i.vars)) if (smoke.SECRET_NAMES.test(k)) maskSecret(v)
    // ${VAR} reads only SMOKE_* from the environment, and every such value is a secret.
    const env = smoke.specEnv(process.env)
    for (const v of Object.values(env)) maskSecret(v)
    // base-url's password (and the Basic credential sent for it) and credential query values.
    maskUrl(i['base-url'])

    // Output paths and the spec's size are checked before any request (and before the spec is read).
    if (i.junit) await checkOutputFile('junit', i.junit)
    await checkFileSize('spec', i.spec, smoke.MAX_SPEC_BYTES, 'a smoke spec')

    const file = specPath(i.spec)
    let text: string
    try {
      text = await readFile(i.spec, 'utf8')
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      throw new InputError(
        `Input 'spec' has invalid value '${i.spec}': ${code === 'ENOENT' ? 'no such file' : `cannot read it (${code})`}: expected the path of a YAML smoke spec`
      )
    }

    let spec: smoke.Spec
    try {
      spec = smoke.loadSpec(text, { file, vars: i.vars, env, baseUrl: i['base-url']?.href })
    } catch (e) {
      if (!(e instanceof smoke.SpecError)) throw e
      // One annotation per problem, at its line; the failure line is the first.
      for (const p of e.problems) {
        core.error(smoke.formatProblem(file, p), {
          title: 'smoke spec',
          file,
          startLine: p.line,
          startColumn: p.column
        })
      }
      // No request was sent; the summary and report say why, for a reviewer who opens the run.
      const junit = i.junit ? await writeJunit(i.junit, smoke.specErrorJunit(file, e.problems, started)) : ''
      const report = await writeReport('smoke-test', started, false, { spec: file, problems: e.problems })
      await writeSummary(smoke.specErrorMarkdown(file, e.problems))
      setOutputs('smoke-test', { report, junit })
      throw new InputError(e.message)
    }

    core.info(`Running ${spec.checks.length} check(s) from ${file}, ${i.concurrency} at a time…`)
    const result = await smoke.runSpec(spec, {
      baseUrl: i['base-url']?.href,
      env,
      concurrency: i.concurrency,
      retries: i.retries,
      timeoutMs: i.timeout,
      failFast: i['fail-fast'],
      onResult: (r) => core.info(redact(smoke.logLine(r)))
    })

    for (const r of result.checks) {
      if (r.result === 'failed') {
        core.error(redact(smoke.annotationMessage(r)), { title: `smoke-test: ${r.name}`, file, startLine: r.line })
      }
    }

    const junit = i.junit ? await writeJunit(i.junit, smoke.junitXml(file, result, started)) : ''
    const ok = result.failed === 0
    const report = await writeReport('smoke-test', started, ok, {
      spec: file,
      baseUrl: i['base-url']?.href ?? null,
      settings: { concurrency: i.concurrency, retries: i.retries, timeoutMs: i.timeout, failFast: i['fail-fast'] },
      total: result.total,
      passed: result.passed,
      failed: result.failed,
      skipped: result.skipped,
      checks: result.checks,
      junit: junit || null
    })
    await writeSummary(smoke.summaryMarkdown(file, result))
    setOutputs('smoke-test', {
      total: result.total,
      passed: result.passed,
      failed: result.failed,
      skipped: result.skipped,
      report,
      junit
    })
    if (!ok) throw new UserError(smoke.failureLine(result))
  })
}

async function writeJunit(path: string, xml: string): Promise<string> {
  await mkdir(dirname(resolve(path)), { recursive: true })
  await writeFile(path, redact(xml))
  return path
}

/** The spec path as annotations need it: relative to the workspace when inside it. */
function specPath(p: string): string {
  const root = process.env.GITHUB_WORKSPACE || process.cwd()
  const rel = relative(root, resolve(root, p))
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel.split('\\').join('/') : p
}

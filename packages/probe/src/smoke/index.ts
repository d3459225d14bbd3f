export * from './schema.js'
export * from './template.js'
export * from './jsonpath.js'
export * from './model.js'
export { loadSpec, SpecError, formatProblem, MAX_SPEC_BYTES, type SpecProblem, type LoadOptions } from './load.js'
export { parseSource, parseWhole, splitChecks, type ParsedSource } from './source.js'
export * from './assertions.js'
export {
  runSpec,
  resolveUrl,
  SECRET_NAMES,
  type CheckResult,
  type CheckVerdict,
  type SmokeResult,
  type RunOptions as SmokeRunOptions
} from './run.js'
export * from './report.js'

/**
 * The one place that names every input, output and state key of every action
 * (like actions/cache's Inputs/Outputs/State enums). Action code reads inputs
 * and sets outputs only through these names; test/contract.test.ts asserts they
 * equal what each action.yml declares.
 */

export const ActionNames = [
  'build-cache',
  'deploy-atomic',
  'health-gate',
  'smoke-test',
  'auto-rollback',
  'notify',
  'traffic',
  'canary',
  'insights'
] as const
export type ActionName = (typeof ActionNames)[number]

/** The target inputs every target action reads; each kind's own (ssh's hosts, ssh-key, known-hosts) come from the release package's registry. */
const targetInputs = ['path', 'target'] as const

export const Names = {
  'health-gate': {
    inputs: [
      'url',
      'method',
      'headers',
      'expect-status',
      'expect-body',
      'timeout',
      'interval',
      'max-wait',
      'healthy-threshold',
      'samples',
      'concurrency',
      'max-error-rate',
      'max-p95',
      'baseline',
      'max-latency-ratio',
      'fail-on-unhealthy'
    ],
    outputs: ['healthy', 'time-to-healthy', 'error-rate', 'p50', 'p95', 'p99', 'report'],
    state: []
  },
  'smoke-test': {
    inputs: ['spec', 'base-url', 'vars', 'concurrency', 'retries', 'timeout', 'junit', 'fail-fast'],
    outputs: ['total', 'passed', 'failed', 'skipped', 'report', 'junit'],
    state: []
  },
  'deploy-atomic': {
    inputs: [
      'source',
      ...targetInputs,
      'allow-empty',
      'release-id',
      'slot',
      'keep',
      'shared',
      'activate',
      'environment',
      'github-deployment',
      'token',
      // strategy: rolling (issue 17): batches behind the router of `traffic`, each host gated directly.
      'strategy',
      'batch-size',
      'host-health-url',
      'expect-status',
      'expect-body',
      'interval',
      'max-wait',
      'samples',
      // The router inputs of traffic; each router's own (router-config, -args, -socket, -state-file, -command) come from its kind.
      'router',
      'upstream',
      'servers',
      'router-host',
      'drain-timeout'
    ],
    outputs: ['release-id', 'previous-release-id', 'release-path', 'slot', 'report'],
    state: []
  },
  'auto-rollback': {
    inputs: [
      ...targetInputs,
      'to',
      'slot',
      // With slot, the router that moves the slot's traffic back (as traffic); each router's own inputs come from its kind.
      'router',
      'upstream',
      'servers',
      'router-host',
      'drain-timeout',
      'reason',
      'environment',
      'watch',
      'health-url',
      'expect-status',
      'expect-body',
      'interval',
      'unhealthy-threshold',
      'max-error-rate',
      'max-p95',
      'baseline',
      'max-latency-ratio',
      'github-deployment-id',
      'token'
    ],
    outputs: ['rolled-back', 'from', 'to', 'reason', 'duration', 'slot', 'report'],
    state: []
  },
  notify: {
    inputs: [
      'status',
      'title',
      'message',
      'environment',
      'release-id',
      'environment-url',
      // Each channel's inputs come from its kind (packages/notify/src/channels/registry.ts).
      'timeout',
      'fail-on-error'
    ],
    // DESIGN lists sent and slack-ts; report follows the convention that every action has one.
    outputs: ['sent', 'slack-ts', 'report'],
    state: []
  },
  traffic: {
    inputs: [
      'router',
      'upstream',
      'servers',
      'weights',
      'drain',
      'drain-timeout',
      // Each router's own inputs come from its kind (packages/traffic/src/routers/registry.ts).
      'router-host',
      'ssh-key',
      'known-hosts',
      'path',
      'verify',
      'timeout',
      'reason'
    ],
    outputs: ['weights', 'previous-weights', 'report'],
    state: []
  },
  canary: {
    inputs: [
      // The router inputs of traffic; each router's own come from its kind.
      'router',
      'upstream',
      'servers',
      'router-host',
      'ssh-key',
      'known-hosts',
      'timeout',
      'baseline-server',
      'canary-server',
      'steps',
      'bake',
      // Each metric source's own inputs (probe: baseline-url, canary-url, requests) come from its kind.
      'analysis',
      'confidence',
      'tolerance',
      'min-samples',
      'pass-score',
      'marginal-score',
      'on-inconclusive',
      'max-extensions',
      'guard-interval',
      'guard-max-error-rate',
      'path',
      'reason',
      'fail-on-abort'
    ],
    outputs: ['verdict', 'score', 'failed-step', 'report'],
    state: []
  },
  insights: {
    // github, token, html and record (issue 20) come later.
    inputs: ['path', 'environments', 'window', 'repository-path'],
    outputs: ['deployment-frequency', 'lead-time', 'change-failure-rate', 'time-to-restore', 'level', 'report'],
    state: []
  },
  'build-cache': {
    inputs: ['path', 'key-files', 'components', 'key-prefix', 'backend', 'save', 'verify', 'working-directory'],
    outputs: ['cache-hit', 'key', 'hash', 'changed', 'unchanged', 'report'],
    // The post step gets back what main restored and what it must save.
    state: ['isPost', 'plan']
  }
} as const satisfies Record<
  ActionName,
  { inputs: readonly string[]; outputs: readonly string[]; state: readonly string[] }
>

export type InputName<A extends ActionName> = (typeof Names)[A]['inputs'][number]
export type OutputName<A extends ActionName> = (typeof Names)[A]['outputs'][number]
export type StateName<A extends ActionName> = (typeof Names)[A]['state'][number]

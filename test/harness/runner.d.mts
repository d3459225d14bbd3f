import type { ChildProcess } from 'node:child_process'

export interface RunOptions {
  inputs?: Record<string, string | number | boolean>
  env?: Record<string, string>
  /** The value `${{ github.token }}` defaults evaluate to. */
  token?: string
  cwd?: string
  workspace?: string
  runnerTemp?: string
  tempDir?: string
  distRoot?: string
  /** Read action.yml (and the scripts it names) from this directory instead of actions/<name>. */
  actionDir?: string
  event?: unknown
  /** false skips the post step. */
  post?: boolean
  /** Job status the post step's post-if sees; default: from main's exit code. */
  jobStatus?: 'success' | 'failure' | 'cancelled'
  timeoutMs?: number
  /** Runs after main and before post (also when post is skipped): the steps a job runs in between, e.g. a build. */
  beforePost?: (main: StepResult) => void | Promise<void>
  onSpawn?: (child: ChildProcess) => void
  /** Runs the step as this user (the test creates it; the harness chowns the step's files to it). */
  user?: { uid: number; gid: number }
}

export interface Annotation {
  level: 'error' | 'warning' | 'notice'
  message: string
  file?: string
  line?: number
  title?: string
}

export interface StepResult {
  code: number
  stdout: string
  stderr: string
  outputs: Record<string, string>
  state: Record<string, string>
  env: Record<string, string>
  summary: string
  annotations: Annotation[]
  /** Lines the step appended to GITHUB_PATH. */
  path: string[]
}

export interface RunResult extends StepResult {
  workDir: string
  post?: StepResult
}

export const repoRoot: string
export function loadActionYml(name: string): {
  name: string
  description: string
  inputs?: Record<string, { description: string; required?: boolean; default?: string }>
  outputs?: Record<string, { description: string }>
  runs: { using: string; main: string; post?: string; 'post-if'?: string }
  branding?: { icon: string; color: string }
}
export function parseFileCommands(text: string): Record<string, string>
export function parseAnnotations(stdout: string): Annotation[]
export function runAction(name: string, options?: RunOptions): Promise<RunResult>
export function startAction(
  name: string,
  options?: RunOptions
): Promise<{
  result: RunResult
  meta: ReturnType<typeof loadActionYml>
  runPost(how: {
    holds: (expr: string | undefined, env: Record<string, string>) => boolean
    env?: Record<string, string>
  }): Promise<StepResult | undefined>
}>
export function postIfHolds(
  expr: string | undefined,
  jobStatus: 'success' | 'failure' | 'cancelled',
  env?: Record<string, string | undefined>
): boolean

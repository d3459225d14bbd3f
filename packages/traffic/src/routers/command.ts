/**
 * `router: command`: the user's own program moves the traffic (a cloud load
 * balancer's CLI, an API call). `router-command` is split like `activate`
 * (shell-like quoting, run without a shell); the program gets
 * `{"upstream":…,"weights":{…},"drain":[…],"servers":{name: address}}` as
 * JSON on stdin. Exit 0 is success; anything else fails the step with the
 * last line of its stderr. What it prints on stdout, when that is a JSON
 * object with `weights`, is the read-back `verify` compares.
 */
import { InputError, UserError, stringField, type Field } from '@gantry/core'
import { splitCommand, type Weights } from '@gantry/release'
import type { RouterHost } from '../host.js'
import type { Router, RouterContext, RouterKindOf } from '../router.js'
import type { Server } from '../weights.js'

export const ROUTER_COMMAND_FORM =
  "a command and its arguments, quoted like a shell ('a b', \"a b\"), without pipes, redirections, ';', '&&' or $(…) (it runs without a shell)"

const commandField = (): Field<string[]> =>
  stringField((s, fail) => {
    if (s === '') return [] as string[]
    try {
      return splitCommand(s)
    } catch (e) {
      return fail(`expected ${ROUTER_COMMAND_FORM}: ${(e as Error).message.replace(/activate/g, 'router-command')}`)
    }
  })

const inputs = {
  'router-command': commandField()
}

/** The weights a command printed (`{"weights":{…}}`), if it printed them. */
export function printedWeights(stdout: string): Weights | undefined {
  const text = stdout.trim()
  if (!text.startsWith('{')) return undefined
  try {
    const v = JSON.parse(text) as { weights?: unknown }
    const w = v.weights
    if (typeof w !== 'object' || w === null || Array.isArray(w)) return undefined
    if (!Object.values(w).every((n) => typeof n === 'number')) return undefined
    return w as Weights
  } catch {
    return undefined
  }
}

class CommandRouter implements Router {
  private reported: Weights | undefined

  constructor(
    private readonly host: RouterHost,
    private readonly o: { upstream: string; servers: Server[]; argv: string[]; ctx: RouterContext }
  ) {}

  async preflight(): Promise<void> {}

  /** What the command last printed; a command cannot be asked without a change, so undefined before one. */
  async read(): Promise<Weights | undefined> {
    return this.reported
  }

  async apply(weights: Weights, drain: readonly string[]): Promise<void> {
    const { argv, ctx } = this.o
    const input = JSON.stringify({
      upstream: this.o.upstream,
      weights,
      drain,
      servers: Object.fromEntries(this.o.servers.map((s) => [s.name, s.address]))
    })
    const r = await this.host.run(argv, { input: input + '\n', timeoutMs: ctx.timeoutMs })
    if (r.timedOut)
      throw new UserError(`router-command ${argv[0]} did not finish within ${ctx.timeoutMs / 1000} s (input 'timeout')`)
    if (r.code !== 0) {
      const last =
        r.stderr
          .split(/\r?\n/)
          .map((l) => l.trim())
          .filter(Boolean)
          .at(-1) ?? ''
      const why = r.code === null || r.code === 127 ? last || 'it could not be started' : last || 'no message'
      throw new UserError(`router-command ${argv[0]} exited with ${r.code ?? 'no code'}: ${why}`)
    }
    this.reported = printedWeights(r.stdout)
    ctx.log(`command: ${argv[0]} accepted the weights`)
  }
}

export const commandKind = {
  name: 'command' as const,
  inputs,
  secrets: [],
  check(v) {
    if (v['router-command'].length === 0)
      throw new InputError(
        `Input 'router-command' is required when router is command: expected ${ROUTER_COMMAND_FORM}; it gets the weights as JSON on stdin`
      )
  },
  make: (v, ctx) =>
    new CommandRouter(ctx.host, { upstream: v.upstream, servers: v.servers, argv: v['router-command'], ctx })
} satisfies RouterKindOf<typeof inputs>

/**
 * The router kinds, registered in one place. The traffic action spreads
 * `routerKinds.inputs` into its schema and calls checkRouter/makeRouter: a new
 * router is its module and one line here (plus action.yml and its README).
 */
import { checkSelected, registry } from '@gantry/core'
import type { Router, RouterCommon, RouterContext, RouterKindOf } from '../router.js'
import { commandKind } from './command.js'
import { haproxyKind } from './haproxy.js'
import { nginxKind } from './nginx.js'

export const routerKinds = registry('router', [nginxKind, haproxyKind, commandKind] as const)

export type RouterName = (typeof routerKinds.names)[number]

/** Refuses another router's inputs, then runs the chosen router's checks (one line, before any side effect). */
export function checkRouter(values: RouterCommon & { router: string }): void {
  checkSelected(routerKinds, 'router', values)
}

export function makeRouter(values: RouterCommon & { router: string }, ctx: RouterContext): Router {
  checkRouter(values)
  return (routerKinds.get(values.router) as unknown as RouterKindOf<Record<string, never>>).make(values as never, ctx)
}

export * from './weights.js'
export * from './host.js'
export * from './router.js'
export * from './routers/registry.js'
export {
  nginxKind,
  renderUpstream,
  parseUpstream,
  blockWeights,
  nginxMessage,
  splitArgs,
  PROC_SCRIPT,
  parseProcTable,
  findMasters,
  type NginxProcess
} from './routers/nginx.js'
export {
  haproxyKind,
  applyCommands,
  restoreCommands,
  parseServersState,
  parseStat,
  parseSocket,
  stateWeights
} from './routers/haproxy.js'
export { commandKind, printedWeights } from './routers/command.js'
export * from './inputs.js'
export * from './traffic.js'
export * from './summary.js'
export * from './slot-rollback.js'
export * from './rolling.js'
export * from './rolling-plan.js'
export * from './rolling-deploy.js'

export * from './delivery.js'
export * from './github-deployments.js'

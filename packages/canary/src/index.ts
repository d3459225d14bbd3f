export * from './steps.js'
export * from './source.js'
export * from './probe-source.js'
export * from './run-canary.js'

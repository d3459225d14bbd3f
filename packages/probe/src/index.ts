export * from './request.js'
export * from './stats.js'
export * from './gate/index.js'

export * from './request.js'
export * from './stats.js'

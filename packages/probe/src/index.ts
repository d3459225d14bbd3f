export * from './request.js'
export * from './stats.js'
export * from './gate/index.js'
export * as smoke from './smoke/index.js'

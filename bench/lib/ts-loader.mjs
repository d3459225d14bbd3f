// `import './lib/ts-loader.mjs'` first, then `await import()` a test helper (.ts): see ts-hooks.mjs.
import { register } from 'node:module'

register('./ts-hooks.mjs', import.meta.url)

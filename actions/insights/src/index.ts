/** The entry point ncc bundles into dist/: the runner executes this file. */
import { run } from './main.js'

await run()

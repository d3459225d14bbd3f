/**
 * The wrapper every action's run() goes through: user errors become one
 * failure line (no stack), bugs keep their stack in the debug log.
 */
import * as core from '@actions/core'
import { isUserFacing, errorMessage } from './errors.js'
import { redact } from './mask.js'

export async function runAction(body: () => Promise<void>): Promise<void> {
  try {
    await body()
  } catch (e) {
    if (!isUserFacing(e) && e instanceof Error && e.stack) core.debug(redact(e.stack))
    core.setFailed(redact(errorMessage(e)))
  }
}

/** True in the post step (main saves isPost, like actions/checkout). */
export function isPost(): boolean {
  return process.env.STATE_isPost === 'true'
}

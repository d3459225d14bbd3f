/** A user mistake in an input: reported as one line, never with a stack trace. */
export class InputError extends Error {
  override name = 'InputError'
}

/**
 * An expected failure (a gate that did not pass, a target that refused a lock):
 * reported as its message alone. Anything else is a bug and keeps its stack in
 * the debug log.
 */
export class UserError extends Error {
  override name = 'UserError'
}

export function isUserFacing(e: unknown): e is InputError | UserError {
  return e instanceof InputError || e instanceof UserError
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message
  return String(e)
}

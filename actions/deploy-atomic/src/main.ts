import { notImplemented, runAction } from '@gantry/core'

/** Not implemented until its issue lands: fails honestly rather than pretending. */
export async function run(): Promise<void> {
  await runAction(() => notImplemented('deploy-atomic'))
}

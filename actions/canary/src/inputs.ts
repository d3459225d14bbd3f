/** canary's inputs: its own (names.ts), each router kind's and each metric source's, one schema per name in action.yml (the contract test checks). */
import type { InputShape } from '@gantry/core'
import { canaryInputs } from '@gantry/canary'

export const inputs = canaryInputs satisfies InputShape<'canary'>

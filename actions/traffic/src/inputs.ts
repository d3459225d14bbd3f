/** traffic's inputs: its own (names.ts) and each router kind's, one schema per name in action.yml (the contract test checks). */
import type { InputShape } from '@gantry/core'
import { trafficInputs } from '@gantry/traffic'

export const inputs = trafficInputs satisfies InputShape<'traffic'>

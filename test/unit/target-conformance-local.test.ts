// The target conformance suite on the local target.
import { LocalTarget } from '@gantry/release'
import { targetConformance } from '../helpers/target-conformance.js'

targetConformance('local', (base) => new LocalTarget(base))

/**
 * The per-step guard: the shared health policy (health-gate's words) on the
 * canary's recent responses, every guard-interval. It looks at no fewer than
 * GUARD_MIN_SAMPLES responses, carrying fewer over to the next look, so one
 * early error among two requests does not abort a canary the judge would pass.
 */
import { evaluate, type HealthSample } from '@gantry/probe'

export const GUARD_MIN_SAMPLES = 5

export function makeGuard(maxErrorRate: number): (recent: HealthSample[]) => string[] {
  let pending: HealthSample[] = []
  return (recent) => {
    pending = pending.concat(recent)
    if (pending.length < GUARD_MIN_SAMPLES) return []
    const reasons = evaluate(pending, {
      maxErrorRate,
      maxLatencyRatio: Number.POSITIVE_INFINITY,
      // The canary's failures are 5xx and no response: a 404 of real traffic is not one.
      expectStatus: (s) => s < 500
    }).map((r) => `the canary's last ${pending.length} responses: ${r}`)
    pending = []
    return reasons
  }
}

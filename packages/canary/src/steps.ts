/**
 * The `steps` input: the canary's share of the traffic at each step, in
 * percent. Judged steps are every one before the last; the last is 100%, the
 * promotion, which is not judged (the baseline has no traffic there).
 */
export const STEPS_FORM = 'percentages that increase and end at 100%, such as 10%,25%,50%,100%'

export class StepsError extends Error {}

export function parseSteps(text: string): number[] {
  const items = text
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean)
  if (items.length === 0) throw new StepsError(`expected ${STEPS_FORM}`)
  const steps = items.map((s) => {
    const m = /^(\d{1,3})%?$/.exec(s)
    const n = m ? Number(m[1]) : NaN
    if (!(n >= 1 && n <= 100)) throw new StepsError(`expected ${STEPS_FORM} ('${s}' is not a percentage from 1 to 100)`)
    return n
  })
  for (let i = 1; i < steps.length; i++)
    if (steps[i] <= steps[i - 1])
      throw new StepsError(`expected ${STEPS_FORM} (${steps[i]}% comes after ${steps[i - 1]}%)`)
  if (steps.at(-1) !== 100) throw new StepsError(`expected ${STEPS_FORM} (the last is ${steps.at(-1)}%)`)
  return steps
}

/** The weights of one step: the canary's share and the rest to the baseline. */
export function stepWeights(percent: number, baseline: string, canary: string): Record<string, number> {
  return { [baseline]: 100 - percent, [canary]: percent }
}

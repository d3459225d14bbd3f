import * as core from '@actions/core'
import { redact, redactedJson } from './mask.js'
import type { ActionName, OutputName, StateName } from './names.js'

export type OutputValue = string | number | boolean | object

/** Sets outputs by their registered names; objects are written as JSON; every registered secret redacted. */
export function setOutputs<A extends ActionName>(
  _action: A,
  values: Partial<Record<OutputName<A>, OutputValue>>
): void {
  for (const [name, value] of Object.entries(values) as Array<[string, OutputValue | undefined]>) {
    if (value === undefined) continue
    core.setOutput(name, typeof value === 'object' ? redactedJson(value) : redact(String(value)))
  }
}

export function saveState<A extends ActionName>(_action: A, name: StateName<A>, value: string): void {
  core.saveState(name, value)
}

export function getState<A extends ActionName>(_action: A, name: StateName<A>): string {
  return core.getState(name)
}

import * as core from '@actions/core'
import type { ActionName, OutputName, StateName } from './names.js'

export type OutputValue = string | number | boolean | object

/** Sets outputs by their registered names; objects are written as JSON. */
export function setOutputs<A extends ActionName>(
  _action: A,
  values: Partial<Record<OutputName<A>, OutputValue>>
): void {
  for (const [name, value] of Object.entries(values) as Array<[string, OutputValue | undefined]>) {
    if (value === undefined) continue
    core.setOutput(name, typeof value === 'object' ? JSON.stringify(value) : String(value))
  }
}

export function saveState<A extends ActionName>(_action: A, name: StateName<A>, value: string): void {
  core.saveState(name, value)
}

export function getState<A extends ActionName>(_action: A, name: StateName<A>): string {
  return core.getState(name)
}

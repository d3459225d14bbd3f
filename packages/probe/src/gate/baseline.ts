/**
 * A baseline is the JSON report of an earlier health-gate run: its p95 (per
 * URL when the URL is in it, else the overall p95) is the reference for
 * max-latency-ratio — in health-gate and in auto-rollback's watch alike.
 */
import { readFile } from 'node:fs/promises'
import * as z from 'zod/mini'
import { InputError } from '@gantry/core'

const BaselineSchema = z.object({
  schema: z.literal(1),
  p95: z.optional(z.nullable(z.number().check(z.positive()))),
  urls: z.optional(
    z.array(z.object({ url: z.string(), sample: z.optional(z.object({ p95: z.nullable(z.number()) })) }))
  )
})

export interface Baseline {
  path: string
  p95?: number
  byUrl: Map<string, number>
}

export async function loadBaseline(path: string): Promise<Baseline> {
  const bad = (why: string) =>
    new InputError(
      `Input 'baseline' has invalid value '${path}': expected the JSON report of an earlier health-gate run (${why})`
    )
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (e) {
    throw bad((e as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : String((e as Error).message))
  }
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    throw bad('not JSON')
  }
  const r = BaselineSchema.safeParse(data)
  if (!r.success) throw bad('no "schema": 1 with a p95')
  const byUrl = new Map<string, number>()
  for (const u of r.data.urls ?? []) if (u.sample?.p95) byUrl.set(u.url, u.sample.p95)
  const p95 = r.data.p95 ?? undefined
  if (p95 === undefined && byUrl.size === 0) throw bad('it has no p95: its run took no samples')
  return { path, p95, byUrl }
}

export function baselineP95(b: Baseline, url: string): number | undefined {
  return b.byUrl.get(url) ?? b.p95
}

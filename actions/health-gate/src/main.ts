/** health-gate: read inputs → run the gate (@gantry/probe) → outputs, summary, report. */
import * as core from '@actions/core'
import {
  isSecretHeader,
  maskCredentialHeader,
  maskUrl,
  parseInputs,
  progress,
  runAction,
  setOutputs,
  writeReport,
  writeSummary,
  UserError
} from '@gantry/core'
import { gateSummary, loadBaseline, runGate, type GateConfig } from '@gantry/probe'
import { inputs } from './inputs.js'

export async function run(): Promise<void> {
  await runAction(async () => {
    const started = new Date()
    const i = parseInputs('health-gate', inputs)
    for (const [name, value] of i.headers) if (isSecretHeader(name)) maskCredentialHeader(value)
    // Passwords and credential query values (?api_key=, ?token=): masked in the log, redacted from files.
    for (const u of i.url) maskUrl(u)
    // Read before any request: a bad baseline is an input error.
    const baseline = i.baseline ? await loadBaseline(i.baseline) : undefined

    const lines = progress((line) => core.info(line))
    const cfg: GateConfig = {
      urls: i.url,
      method: i.method,
      headers: i.headers,
      expect: { status: i['expect-status'], body: i['expect-body'] },
      timeoutMs: i.timeout,
      intervalMs: i.interval,
      maxWaitMs: i['max-wait'],
      threshold: i['healthy-threshold'],
      samples: i.samples,
      concurrency: i.concurrency,
      maxErrorRate: i['max-error-rate'],
      maxP95Ms: i['max-p95'],
      baseline,
      maxLatencyRatio: i['max-latency-ratio'],
      log: (line) => core.debug(line),
      progress: lines
    }
    core.info(`Waiting for ${i.url.length} URL(s) to pass ${cfg.threshold} consecutive checks…`)
    const result = await runGate(cfg).finally(() => lines.stop())

    for (const u of result.urls) {
      const line = u.ok
        ? `${u.url}: healthy in ${u.timeToHealthyMs} ms` +
          (u.sample ? `, p95 ${u.sample.p95} ms, error rate ${u.sample.errors}/${u.sample.count}` : '')
        : `${u.url}: ${u.reasons.join('; ')}`
      if (u.ok) core.info(`✅ ${line}`)
      else if (i['fail-on-unhealthy']) core.error(line, { title: 'health-gate' })
      else core.warning(line, { title: 'health-gate' })
    }

    const report = await writeReport('health-gate', started, result.ok, {
      healthy: result.ok,
      timeToHealthyMs: result.timeToHealthyMs,
      errorRate: result.errorRate,
      p50: result.p50,
      p95: result.p95,
      p99: result.p99,
      settings: {
        method: cfg.method,
        expectStatus: String(cfg.expect.status),
        expectBody: cfg.expect.body?.source ?? null,
        timeoutMs: cfg.timeoutMs,
        intervalMs: cfg.intervalMs,
        maxWaitMs: cfg.maxWaitMs,
        healthyThreshold: cfg.threshold,
        samples: cfg.samples,
        concurrency: cfg.concurrency,
        maxErrorRate: cfg.maxErrorRate,
        maxP95Ms: cfg.maxP95Ms ?? null,
        baseline: baseline?.path ?? null,
        maxLatencyRatio: cfg.maxLatencyRatio
      },
      urls: result.urls
    })
    await writeSummary(gateSummary(result, cfg))
    setOutputs('health-gate', {
      healthy: result.ok,
      'time-to-healthy': result.timeToHealthyMs ?? '',
      'error-rate': result.errorRate === null ? '' : Number(result.errorRate.toFixed(4)),
      p50: result.p50 ?? '',
      p95: result.p95 ?? '',
      p99: result.p99 ?? '',
      report
    })
    if (!result.ok && i['fail-on-unhealthy']) {
      const failed = result.urls.filter((u) => !u.ok).length
      throw new UserError(`health-gate failed: ${failed} of ${result.urls.length} URL(s) did not pass`)
    }
  })
}

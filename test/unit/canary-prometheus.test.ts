// The prometheus metric source without a Prometheus: the metrics YAML and every bad input, $variant's
// place and escaping, the HTTP API's documented JSON (matrix, vector, NaN, errors), the points a
// window gives and what is left out, and the action's inputs as the runner gives them (action.yml's
// defaults), each bad one a single line naming the input.
import { describe, expect, test } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { InputError, parseInputs } from '@gantry/core'
import {
  MetricsError,
  PromApiError,
  canaryInputs,
  checkCanary,
  escapeString,
  mergeWindows,
  parseAllowedIncrease,
  parseMetrics,
  parseTemplate,
  pointsOf,
  prometheusSource,
  readEnvelope,
  readInstant,
  readMatrix,
  render,
  type PromApi,
  type Series
} from '@gantry/canary'

const Q = 'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{instance="$variant"}[30s])))'

describe('metrics YAML', () => {
  test('a full item and the defaults', () => {
    const [a, b] = parseMetrics(`
- name: p95
  query: '${Q}'
  direction: either
  critical: true
  weight: 2.5
  allowed-increase: 10%
- name: errors
  query: sum(rate(http_requests_total{instance="$variant",status=~"5.."}[30s])) or vector(0)
`)
    expect(a).toMatchObject({
      name: 'p95',
      kind: 'values',
      direction: 'either',
      critical: true,
      weight: 2.5,
      allowedIncrease: 1.1,
      query: Q
    })
    expect(b).toMatchObject({ name: 'errors', direction: 'increase', critical: false, weight: 1, allowedIncrease: 1 })
  })

  test.each([
    ['not: [a', /^not YAML: /],
    ['{}', /^expected a YAML list of metrics/],
    ['[]', /^expected a YAML list of metrics/],
    ['- 3', /^metric 1: expected a mapping with name and query$/],
    ['- query: up{instance="$variant"}', /^metric 1: name: expected a non-empty string$/],
    ['- name: a', /^metric 1 \(a\): query: expected the PromQL as a string$/],
    ['- {name: a, query: up}', /^metric 1 \(a\): query: no \$variant: each variant's series must be chosen/],
    ['- {name: a, query: up$variant}', /^metric 1 \(a\): query: \$variant outside a quoted label value/],
    ['- {name: a, query: "up{x=`$variant`}"}', /^metric 1 \(a\): query: \$variant in a backtick string/],
    ['- {name: a, query: "up{x=\\"$variant\\"} # $variant"}', /^metric 1 \(a\): query: \$variant in a comment/],
    ['- {name: a, query: "up{x=\\"$variant}"}', /^metric 1 \(a\): query: a string opened with " is not closed$/],
    [
      '- {name: a, query: "up{x=\\"$variant\\"}", direction: up}',
      /^metric 1 \(a\): direction 'up': expected one of increase, decrease, either$/
    ],
    ['- {name: a, query: "up{x=\\"$variant\\"}", weight: 0}', /^metric 1 \(a\): weight 0: expected a number > 0$/],
    ['- {name: a, query: "up{x=\\"$variant\\"}", weight: -1}', /^metric 1 \(a\): weight -1: expected a number > 0$/],
    ['- {name: a, query: "up{x=\\"$variant\\"}", weight: heavy}', /^metric 1 \(a\): weight: expected a number > 0$/],
    [
      '- {name: a, query: "up{x=\\"$variant\\"}", critical: yes please}',
      /^metric 1 \(a\): critical: expected true or false$/
    ],
    [
      '- {name: a, query: "up{x=\\"$variant\\"}", allowed-increase: lots}',
      /^metric 1 \(a\): allowed-increase 'lots': expected a ratio/
    ],
    [
      '- {name: a, query: "up{x=\\"$variant\\"}", allowed-increase: 0.9}',
      /^metric 1 \(a\): allowed-increase '0.9': expected a ratio ≥ 1/
    ],
    [
      '- {name: a, query: "up{x=\\"$variant\\"}", threshold: 3}',
      /^metric 1 \(a\): unknown field 'threshold'; expected name, query/
    ],
    [
      '- {name: a, query: "up{x=\\"$variant\\"}"}\n- {name: a, query: "up{x=\\"$variant\\"}"}',
      /^metric 2 \(a\): the name is given twice/
    ]
  ])('%s → one line', (yaml, message) => {
    let err: unknown
    try {
      parseMetrics(yaml)
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(MetricsError)
    expect((err as Error).message).toMatch(message)
    expect((err as Error).message).not.toContain('\n')
  })

  test('allowed-increase: a percentage or a ratio', () => {
    expect(parseAllowedIncrease('10%')).toBeCloseTo(1.1)
    expect(parseAllowedIncrease('0%')).toBe(1)
    expect(parseAllowedIncrease(1.25)).toBe(1.25)
    expect(parseAllowedIncrease('1')).toBe(1)
    expect(() => parseAllowedIncrease('-5%')).toThrow(MetricsError)
  })
})

describe('$variant', () => {
  test('replaced in every label value it stands in, the rest of the query as written', () => {
    const t = parseTemplate('sum(rate(a{instance="$variant"}[1m])) / sum(rate(b{instance=\'$variant\'}[1m]))')
    expect(render(t, '127.0.0.1:3001')).toBe(
      'sum(rate(a{instance="127.0.0.1:3001"}[1m])) / sum(rate(b{instance=\'127.0.0.1:3001\'}[1m]))'
    )
  })

  test('a value cannot leave its string: quotes, backslashes and line breaks escaped', () => {
    const t = parseTemplate('up{instance="$variant"}')
    const evil = 'x"} or vector(1) or up{a="\\'
    const q = render(t, evil)
    expect(q).toBe('up{instance="x\\"} or vector(1) or up{a=\\"\\\\"}')
    // Read back as PromQL reads a Go string: one string, the value exactly.
    const body = q.slice('up{instance="'.length, -2)
    expect(JSON.parse(`"${body}"`)).toBe(evil)
    expect(escapeString("it's\n", "'")).toBe("it\\'s\\n")
    expect(escapeString('a\x01', '"')).toBe('a\\x01')
  })

  test('inside a regex matcher its metacharacters are escaped too', () => {
    const t = parseTemplate('up{instance=~ "$variant", job!~"$variant|x", other="$variant"}')
    expect(render(t, '127.0.0.1:3001')).toBe(
      'up{instance=~ "127\\\\.0\\\\.0\\\\.1:3001", job!~"127\\\\.0\\\\.0\\\\.1:3001|x", other="127.0.0.1:3001"}'
    )
  })

  test('$variants (a longer name) is not $variant; an escaped quote does not end the string', () => {
    expect(() => parseTemplate('up{x="$variants"}')).toThrow(/no \$variant/)
    expect(render(parseTemplate('up{x="a\\"$variant"}'), 'v')).toBe('up{x="a\\"v"}')
  })
})

describe("Prometheus's HTTP API JSON", () => {
  const matrix = {
    status: 'success',
    data: {
      resultType: 'matrix',
      result: [
        {
          metric: { instance: '127.0.0.1:3001' },
          values: [
            [1435781430.781, '0.25'],
            [1435781445.781, 'NaN'],
            [1435781460.781, '+Inf'],
            [1435781475.781, '1e-3']
          ]
        }
      ]
    }
  }

  test('a matrix: values parsed, NaN and ±Inf kept as such', () => {
    const s = readMatrix(readEnvelope(200, JSON.stringify(matrix)))
    expect(s).toHaveLength(1)
    expect(s[0].metric).toEqual({ instance: '127.0.0.1:3001' })
    expect(s[0].values.map(([, v]) => v)).toEqual([0.25, NaN, Infinity, 0.001])
    expect(s[0].values[0][0]).toBe(1435781430.781)
  })

  test('an empty result, a vector, a scalar', () => {
    expect(readMatrix(readEnvelope(200, '{"status":"success","data":{"resultType":"matrix","result":[]}}'))).toEqual([])
    expect(readInstant({ resultType: 'vector', result: [{ metric: { a: 'b' }, value: [1, '-Inf'] }] })).toEqual([
      { metric: { a: 'b' }, values: [[1, -Infinity]] }
    ])
    expect(readInstant({ resultType: 'scalar', result: [2, '3'] })).toEqual([{ metric: {}, values: [[2, 3]] }])
  })

  test("errors: Prometheus's own words, its errorType kept; not the API is said", () => {
    let e: unknown
    try {
      readEnvelope(400, '{"status":"error","errorType":"bad_data","error":"1:5: parse error: unexpected }"}')
    } catch (x) {
      e = x
    }
    expect(e).toBeInstanceOf(PromApiError)
    expect((e as PromApiError).message).toBe('bad_data: 1:5: parse error: unexpected }')
    expect((e as PromApiError).errorType).toBe('bad_data')
    expect(() => readEnvelope(200, '<html>hi</html>')).toThrow(/not the Prometheus API's JSON/)
    expect(() => readEnvelope(200, '{"a":1}')).toThrow(/without the API's status field/)
    expect(() => readMatrix({ resultType: 'vector', result: [] })).toThrow(/without a matrix/)
  })
})

describe('points of a window', () => {
  const series = (vs: number[]): Series => ({ metric: {}, values: vs.map((v, k) => [k, v]) })

  test('finite points kept; NaN, ±Inf and absent steps counted as left out', () => {
    expect(pointsOf([series([1, NaN, 2, Infinity])], 6)).toEqual({ values: [1, 2], missing: 4 })
    expect(pointsOf([], 5)).toEqual({ values: [], missing: 5 })
    expect(pointsOf([series([1, 2]), series([3])], 2)).toEqual({ values: [1, 2, 3], missing: 1 })
  })

  test('the window asks (start, end] at the step for each variant; the missing counts add up over extensions', async () => {
    const asked: Array<{ q: string; start: number; end: number; step: number }> = []
    const api: PromApi = {
      buildinfo: async () => ({}),
      query: async () => [],
      async queryRange(q, start, end, step) {
        asked.push({ q, start, end, step })
        const canary = q.includes('green')
        return [series(canary ? [5, 6, NaN] : [1, 2, 3, 4])]
      },
      close: async () => undefined
    }
    let t = 1_000_000
    const src = prometheusSource({
      url: new URL('http://u:p@127.0.0.1:9/prom'),
      api,
      metrics: parseMetrics('- {name: m, query: "up{instance=\\"$variant\\"}"}'),
      stepMs: 1000,
      variants: { baseline: 'blue:1', canary: 'green:2' },
      now: () => t
    })
    expect(src.detail).toBe('http://127.0.0.1:9/prom, query_range step 1s')
    const w = src.begin(4000, new AbortController().signal)
    expect(w.recent()).toEqual([])
    t += 4000
    const d = await w.end()
    expect(asked).toEqual([
      { q: 'up{instance="blue:1"}', start: 1001, end: 1004, step: 1 },
      { q: 'up{instance="green:2"}', start: 1001, end: 1004, step: 1 }
    ])
    expect(d.m).toEqual({
      baseline: { kind: 'values', values: [1, 2, 3, 4] },
      canary: { kind: 'values', values: [5, 6] },
      missing: { baseline: 0, canary: 2 }
    })
    expect(mergeWindows(d, d).m.missing).toEqual({ baseline: 0, canary: 4 })
  })

  test('preflight: unreachable → prometheus-url; a refused query → metrics; both one line', async () => {
    const make = (api: Partial<PromApi>) =>
      prometheusSource({
        url: new URL('http://127.0.0.1:9/'),
        api: {
          buildinfo: async () => ({}),
          query: async () => [],
          queryRange: async () => [],
          close: async () => undefined,
          ...api
        },
        metrics: parseMetrics('- {name: m, query: "up{instance=\\"$variant\\"}"}'),
        stepMs: 1000,
        variants: { baseline: 'a', canary: 'b' }
      })
    const { PromUnreachable } = await import('@gantry/canary')
    await expect(
      make({
        buildinfo: async () => {
          throw new PromUnreachable('ECONNREFUSED')
        }
      }).preflight!()
    ).rejects.toThrow(
      "Input 'prometheus-url' has invalid value 'http://127.0.0.1:9/': no answer (ECONNREFUSED); expected the base URL of a Prometheus server"
    )
    await expect(
      make({
        query: async () => {
          throw new PromApiError('bad_data: parse error', 400, 'bad_data')
        }
      }).preflight!()
    ).rejects.toThrow(
      "Input 'metrics' has invalid value for metric 'm': Prometheus refused its query (bad_data: parse error)"
    )
    // A Prometheus-compatible store without buildinfo is asked the queries instead.
    await expect(
      make({
        buildinfo: async () => {
          throw new PromApiError('HTTP 404', 404)
        }
      }).preflight!()
    ).resolves.toBeUndefined()
  })
})

describe('the action inputs with analysis: prometheus', () => {
  const yml = parse(readFileSync(join(process.cwd(), 'actions/canary/action.yml'), 'utf8')) as {
    inputs: Record<string, { default?: string }>
  }
  const METRICS = `- name: p95\n  query: '${Q}'\n`
  const base: Record<string, string> = {
    router: 'command',
    upstream: 'app',
    servers: 'blue=127.0.0.1:3001\ngreen=127.0.0.1:3002',
    'router-command': 'true',
    'baseline-server': 'blue',
    'canary-server': 'green',
    bake: '1m',
    'min-samples': '50',
    analysis: 'prometheus',
    'prometheus-url': 'http://127.0.0.1:9090/',
    'prometheus-step': '1s',
    metrics: METRICS,
    path: '/srv/app'
  }
  const check = (over: Record<string, string>) => {
    const given = { ...base, ...over }
    const i = parseInputs('canary', canaryInputs, {
      read: (name) => given[name] ?? yml.inputs[name]?.default ?? ''
    })
    checkCanary(i)
    return i
  }

  test('good inputs pass (the probe-only requests default does not refuse them)', () => {
    const i = check({})
    expect(i['prometheus-step']).toBe(1000)
    expect(i.metrics).toHaveLength(1)
  })

  test.each([
    [
      { metrics: '- {name: a, query: up}' },
      "Input 'metrics' has invalid value '- {name: a, query: up}': metric 1 (a): query: no $variant"
    ],
    [{ metrics: '' }, "Input 'metrics' is required when analysis is prometheus"],
    [{ 'prometheus-url': '' }, "Input 'prometheus-url' is required when analysis is prometheus"],
    [{ 'prometheus-url': 'ftp://x/' }, "Input 'prometheus-url' has invalid value 'ftp://x/': expected an http(s) URL"],
    [{ 'prometheus-step': 'soon' }, "Input 'prometheus-step' has invalid value 'soon'"],
    [
      { bake: '30s', 'prometheus-step': '1s' },
      "Input 'bake' has invalid value '30s': at the query step 1s (prometheus-step) a window gives 30 point(s) per variant, fewer than min-samples 50; expected a bake of at least 50s"
    ],
    [
      { 'prometheus-step': '' },
      "Input 'bake' has invalid value '1m': at the query step 15s (prometheus-step) a window gives 4 point(s)"
    ],
    [
      { bake: '5h', 'prometheus-step': '1s' },
      "Input 'prometheus-step' has invalid value '1s': a bake of 5h would ask 18000 points"
    ],
    [
      { servers: 'blue=127.0.0.1:3001\ngreen=127.0.0.1:3001' },
      "Input 'servers' has invalid value for green: its address '127.0.0.1:3001' is the baseline's too"
    ],
    [
      { requests: '10' },
      "Input 'requests' has invalid value '10': it is for analysis 'probe', but analysis is 'prometheus'"
    ],
    [
      { analysis: 'probe', 'baseline-url': 'http://a/', 'canary-url': 'http://b/' },
      "Input 'prometheus-url' has invalid value 'http://127.0.0.1:9090/': it is for analysis 'prometheus'"
    ]
  ])('%j → one line', (over, message) => {
    let e: unknown
    try {
      check(over)
    } catch (x) {
      e = x
    }
    expect(e).toBeInstanceOf(InputError)
    expect((e as Error).message).toContain(message)
    expect((e as Error).message).not.toContain('\n')
  })
})

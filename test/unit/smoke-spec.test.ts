// Loading smoke specs: positions, every kind of bad spec, and the compiled model.
import { describe, expect, test } from '@jest/globals'
import { query } from 'jsonpath-rfc9535'
import { smoke } from '@gantry/probe'

const load = (text: string, opts: Partial<smoke.LoadOptions> = {}) =>
  smoke.loadSpec(text, { file: 'smoke.yml', baseUrl: 'http://127.0.0.1:1', env: {}, ...opts })

/** The problems of a bad spec, formatted as annotations show them. */
function problems(text: string, opts: Partial<smoke.LoadOptions> = {}): string[] {
  try {
    load(text, opts)
  } catch (e) {
    if (e instanceof smoke.SpecError) return e.problems.map((p) => smoke.formatProblem(e.file, p))
    throw e
  }
  throw new Error('spec loaded without problems')
}

const good = `
vars:
  USER: alice
checks:
  - name: login
    request:
      method: post
      url: /login
      json: { user: "\${USER}", password: "\${PASSWORD}" }
    expect:
      status: 200
      json:
        $.token: { exists: true, matches: '^[a-f0-9]+$' }
    capture:
      token: $.token
      session: { header: Set-Cookie }
  - name: me
    needs: login
    request:
      url: /me
      headers: { Authorization: "Bearer \${token}" }
    expect:
      status: [200, '2xx']
      headers: { content-type: /json/i, x-user: "\${USER}" }
      body-contains: [alice]
      body-matches: '"id":\\s*\\d+'
      json:
        $.name: alice
        $['roles'][*]: { length: 2 }
        $.age: { gt: 17, lt: 200 }
      max-latency: 2s
    retries: 2
    timeout: 500ms
`

describe('loadSpec: a good spec', () => {
  test('compiles with lines, defaults and operators', () => {
    const spec = load(good, { env: { PASSWORD: 'pw' } })
    expect(spec.checks.map((c) => [c.name, c.line])).toEqual([
      ['login', 5],
      ['me', 17]
    ])
    const [login, me] = spec.checks as [smoke.Check, smoke.Check]
    expect(login.request.method).toBe('POST')
    expect(login.expect.json.map((j) => [j.path.text, j.op, j.line])).toEqual([
      ['$.token', 'exists', 13],
      ['$.token', 'matches', 13]
    ])
    expect(login.capture.map((c) => [c.name, c.from.kind])).toEqual([
      ['token', 'jsonpath'],
      ['session', 'header']
    ])
    expect(me.needs).toEqual(['login'])
    expect(me.expect.status.has(201)).toBe(true)
    expect(me.expect.status.has(404)).toBe(false)
    expect(me.expect.headers[0]?.regex?.flags).toBe('i')
    expect(me.expect.headers[1]?.exact).toBe('${USER}')
    expect(me.expect.json.map((j) => [j.path.text, j.path.singular, j.op])).toEqual([
      ['$.name', true, 'equals'],
      ["$['roles'][*]", false, 'length'],
      ['$.age', true, 'gt'],
      ['$.age', true, 'lt']
    ])
    expect(me.expect.maxLatencyMs).toBe(2000)
    expect(me.timeoutMs).toBe(500)
    expect(me.retries).toBe(2)
    expect(spec.vars).toEqual({ USER: 'alice' })
  })

  test('anchors, aliases and << merge keys share request parts', () => {
    const spec = load(
      [
        'checks:',
        '  - name: a',
        '    request: &base { method: POST, url: /a, headers: { X-Team: core } }',
        '  - name: b',
        '    request: { <<: *base, url: /b }'
      ].join('\n')
    )
    expect(spec.checks[1]?.request).toMatchObject({ method: 'POST', url: '/b', headers: [['X-Team', 'core']] })
  })

  test('the vars input wins over spec vars; the default status is 2xx', () => {
    const spec = load('vars: { A: spec }\nchecks:\n  - name: a\n    request: { url: "/${A}" }\n', {
      vars: { A: 'input' }
    })
    expect(spec.vars.A).toBe('input')
    expect(spec.checks[0]?.expect.status.text).toBe('2xx')
  })
})

describe('loadSpec: bad specs fail with file:line:column and the field', () => {
  test('YAML syntax errors', () => {
    expect(problems('checks:\n  - name: a\n    request: { url: /x\n')[0]).toMatch(/^smoke\.yml:\d+:\d+: YAML: /)
  })

  test('an empty spec and a spec without checks', () => {
    expect(problems('')).toEqual(["smoke.yml:1:1: the spec is empty: expected a map with 'checks:'"])
    expect(problems('vars: {}\n')).toEqual(['smoke.yml:1:1: checks: is required: expected a list'])
    expect(problems('checks: []\n')).toEqual(['smoke.yml:1:9: checks: expected at least 1 item(s), got 0'])
  })

  test('unknown keys point at the key', () => {
    const text = 'checks:\n  - name: a\n    request: { url: /x }\n    expect:\n      stauts: 200\n'
    expect(problems(text)).toEqual(["smoke.yml:5:7: check 'a' expect: unknown key 'stauts'"])
    expect(problems('checks:\n  - name: a\n    reqest: { url: /x }\n')).toEqual([
      "smoke.yml:2:5: check 'a' request: is required: expected a map",
      "smoke.yml:3:5: check 'a': unknown key 'reqest'"
    ])
  })

  test('wrong types name the value', () => {
    const text = 'checks:\n  - name: a\n    request: { url: /x }\n    retries: many\n    needs: { x: 1 }\n'
    expect(problems(text)).toEqual([
      `smoke.yml:4:14: check 'a' retries: expected a number, got "many"`,
      "smoke.yml:5:12: check 'a' needs: expected a string or a list, got a map"
    ])
  })

  test('bad durations, status sets, methods and operator values', () => {
    const text = [
      'checks:',
      '  - name: a',
      '    request: { url: /x, method: "GET /" }',
      '    timeout: soon',
      '    expect:',
      '      status: 2yy',
      '      max-latency: 5 parsecs',
      '      json:',
      "        $.n: { gt: 'ten' }",
      '        $.m: { exist: true, length: 1 }'
    ].join('\n')
    expect(problems(text)).toEqual([
      "smoke.yml:3:33: check 'a' request.method: expected an HTTP method such as GET or POST, got 'GET /'",
      "smoke.yml:4:14: check 'a' timeout: expected a duration such as 250ms, 5s, 2m or 1d, greater than 0 and at most 2147483647ms (about 24d 20h, the longest timer Node.js can hold), got 'soon'",
      "smoke.yml:6:15: check 'a' expect.status: expected HTTP status codes such as 200, 2xx, 200-299 or a list of them, got '2yy'",
      "smoke.yml:7:20: check 'a' expect.max-latency: expected a duration such as 250ms, 5s, 2m or 1d, got '5 parsecs'",
      `smoke.yml:9:20: check 'a' expect.json["$.n"].gt: expected a number`,
      `smoke.yml:10:16: check 'a' expect.json["$.m"]: unknown operator 'exist': expected equals, exists, matches, gt, lt, length`
    ])
  })

  test('invalid regexes and JSONPath', () => {
    const text = [
      'checks:',
      '  - name: a',
      '    request: { url: /x }',
      '    expect:',
      '      headers: { x-a: "/([a-z]/" }',
      "      body-matches: ['ok', '(unclosed']",
      '      json:',
      "        $.a: { matches: '[z-a]' }",
      '        a.b: 1',
      '    capture:',
      '      t: $..',
      '      h: { header: "bad header" }'
    ].join('\n')
    const p = problems(text)
    expect(p).toHaveLength(6)
    expect(p[0]).toMatch(/^smoke\.yml:5:23: check 'a' expect\.headers\.x-a: invalid regular expression \/\(\[a-z\]\/: /)
    expect(p[1]).toMatch(
      /^smoke\.yml:6:28: check 'a' expect\.body-matches\[1\]: invalid regular expression \/\(unclosed\/: /
    )
    expect(p[2]).toMatch(/^smoke\.yml:8:25: check 'a' expect\.json\["\$\.a"\]\.matches: invalid regular expression/)
    expect(p[3]).toMatch(/^smoke\.yml:9:9: check 'a' expect\.json: invalid JSONPath 'a\.b': /)
    expect(p[4]).toMatch(/^smoke\.yml:11:10: check 'a' capture\.t: invalid JSONPath '\$\.\.': /)
    expect(p[5]).toBe(`smoke.yml:12:20: check 'a' capture.h.header: invalid header name 'bad header'`)
  })

  test('needs: unknown, self, and cycles', () => {
    const unknown = 'checks:\n  - name: a\n    request: { url: /x }\n    needs: [b]\n'
    expect(problems(unknown)).toEqual(["smoke.yml:4:13: check 'a' needs[0]: needs unknown check 'b' (known: a)"])
    const self = 'checks:\n  - name: a\n    request: { url: /x }\n    needs: a\n'
    expect(problems(self)).toEqual(["smoke.yml:4:12: check 'a' needs: check 'a' needs itself"])
    const cycle = [
      'checks:',
      '  - { name: a, request: { url: /a }, needs: c }',
      '  - { name: b, request: { url: /b }, needs: a }',
      '  - { name: c, request: { url: /c }, needs: [b] }'
    ].join('\n')
    expect(problems(cycle)).toEqual(["smoke.yml:2:45: check 'a' needs: needs cycle: a → c → b → a"])
  })

  test('duplicate names', () => {
    const text = 'checks:\n  - { name: a, request: { url: /a } }\n  - { name: a, request: { url: /b } }\n'
    expect(problems(text)).toEqual(["smoke.yml:3:13: check 'a' name: duplicate check name 'a' (also checks[0])"])
  })

  test('undefined and malformed ${VAR}', () => {
    const text = [
      'checks:',
      '  - name: a',
      '    request: { url: "/u/${ID}", headers: { X-T: "${TOKEN" } }',
      '    capture: { ID: $.id }',
      '  - name: b',
      '    request: { url: "/v/${ID}", json: { k: ["${NOPE}"] } }',
      '    needs: a'
    ].join('\n')
    expect(problems(text)).toEqual([
      "smoke.yml:3:21: check 'a' request.url: undefined variable ${ID}: not in vars, SMOKE_* environment variables, or captures of the checks it needs (it is captured by this check itself; only checks that need 'a' can use it)",
      "smoke.yml:3:49: check 'a' request.headers.X-T: malformed variable reference '${TOKEN': expected ${NAME} (letters, digits, _ . -)",
      "smoke.yml:6:39: check 'b' request.json: undefined variable ${NOPE}: not in vars, SMOKE_* environment variables, or captures of the checks it needs"
    ])
    // Defined from the environment, from vars, from a transitive need; $${ is a literal.
    const ok = [
      'checks:',
      '  - { name: a, request: { url: "/${FROM_ENV}" }, capture: { ID: $.id } }',
      '  - { name: b, request: { url: "/${ID}" }, needs: a }',
      '  - { name: c, request: { url: "/${ID}/${V}/$${LITERAL}" }, needs: b }'
    ].join('\n')
    expect(load(ok, { env: { FROM_ENV: 'x' }, vars: { V: 'v' } }).checks).toHaveLength(3)
  })

  test('names inherited by plain objects are not variables', () => {
    expect(problems('checks:\n  - { name: a, request: { url: "/${toString}/${constructor}" } }\n')).toEqual([
      "smoke.yml:2:32: check 'a' request.url: undefined variable ${toString}: not in vars, SMOKE_* environment variables, or captures of the checks it needs",
      "smoke.yml:2:32: check 'a' request.url: undefined variable ${constructor}: not in vars, SMOKE_* environment variables, or captures of the checks it needs"
    ])
  })

  test('relative URLs need a base URL', () => {
    expect(problems('checks:\n  - { name: a, request: { url: /x } }\n', { baseUrl: undefined })).toEqual([
      "smoke.yml:2:32: check 'a' request.url: '/x' is relative but the base-url input is empty: give base-url or an absolute http(s) URL"
    ])
  })

  test('a ${VAR} inside a regex is an error, not a silent literal', () => {
    expect(
      problems("checks:\n  - { name: a, request: { url: /x }, expect: { body-matches: '/id=${ID}/' } }\n")
    ).toEqual([
      "smoke.yml:2:62: check 'a' expect.body-matches: /id=${ID}/ refers to a variable, but regexes do not expand ${VAR}: use an exact value or escape it as \\$\\{"
    ])
    expect(
      load("checks:\n  - { name: a, request: { url: /x }, expect: { body-matches: '/\\$\\{x\\}/' } }\n").checks
    ).toHaveLength(1)
  })

  test('invalid header names', () => {
    expect(
      problems(
        "checks:\n  - { name: a, request: { url: /x, headers: { 'Bad Name': v } }, expect: { headers: { 'x:y': v } } }\n"
      )
    ).toEqual([
      "smoke.yml:2:47: check 'a' request.headers: invalid header name 'Bad Name'",
      "smoke.yml:2:87: check 'a' expect.headers: invalid header name 'x:y'"
    ])
  })

  test('json and body together', () => {
    expect(problems("checks:\n  - { name: a, request: { url: /x, json: {}, body: 'b' } }\n")).toEqual([
      "smoke.yml:2:52: check 'a' request.body: give either 'json' or 'body', not both"
    ])
  })

  test('all problems are reported, in line order, and the error message is the first', () => {
    try {
      load('checks:\n  - { name: a, request: { url: /x }, retries: -1 }\n  - { name: b, request: { url: 3 } }\n')
      throw new Error('no error')
    } catch (e) {
      expect(e).toBeInstanceOf(smoke.SpecError)
      expect((e as smoke.SpecError).problems).toHaveLength(2)
      expect((e as Error).message).toBe(
        "smoke.yml:2:47: check 'a' retries: expected at least 0, got -1 (and 1 more problem)"
      )
    }
  })
})

describe('templates', () => {
  test('expand, keep types for whole references, and escape $${', () => {
    const vars: Record<string, unknown> = { A: 'x', N: 42, O: { k: [1] } }
    const lookup = (n: string) => vars[n]
    expect(smoke.expand('a/${A}/${N}/$${A}', lookup)).toBe('a/x/42/${A}')
    expect(smoke.expandDeep({ id: '${N}', s: 'n=${N}', o: '${O}', list: ['${A}'] }, lookup)).toEqual({
      id: 42,
      s: 'n=42',
      o: { k: [1] },
      list: ['x']
    })
    expect(() => smoke.expand('${MISSING}', lookup)).toThrow('undefined variable ${MISSING}')
    expect(smoke.references('${A}-${B.c}-$${D}')).toEqual(['A', 'B.c'])
    expect(() => smoke.references('${}')).toThrow(/malformed/)
  })
})

describe('JSONPath', () => {
  const doc = { a: { b: [1, 2, { c: 'x' }] }, 'x y': 3 }
  test.each([
    ['$.a.b[0]', true, true, 1],
    ["$['x y']", true, true, 3],
    ['$.a.b[2].c', true, true, 'x'],
    ['$.a.nope', true, false, undefined],
    ['$.a.b[*]', false, true, [1, 2, { c: 'x' }]],
    ['$.a.b[?@.c]', false, true, [{ c: 'x' }]],
    ['$..c', false, true, ['x']],
    ['$.a.b[5:]', false, false, []]
  ])('%s', (text, singular, found, value) => {
    const p = smoke.compilePath(text)
    expect(p.singular).toBe(singular)
    expect(smoke.evaluate(p, doc)).toEqual({ found, value })
  })
})

describe('JSONPath: singular paths are walked directly, as the library evaluates them', () => {
  const docs: unknown[] = [
    { a: { b: [1, null, { c: 'x' }] }, 'x y': 3, n: null, arr: [[1, 2], [3]] },
    [10, 20, { a: 1 }],
    'text',
    null
  ]
  const paths = [
    '$',
    '$.a',
    '$.a.b',
    '$.a.b[0]',
    '$.a.b[1]',
    '$.a.b[-1]',
    '$.a.b[-4]',
    '$.a.b[3]',
    "$['x y']",
    '$.n',
    '$.n.x',
    '$.arr[0][1]',
    '$.arr[1][-1]',
    '$[0]',
    '$[2].a',
    '$[-1]',
    '$.length',
    '$.a.b.length',
    "$['a']['b'][2]['c']",
    '$.toString'
  ]
  test.each(paths)('%s', (text) => {
    const p = smoke.compilePath(text)
    expect(p.singular).toBe(true)
    for (const doc of docs) {
      const want = query(doc as never, text)
      expect(smoke.evaluate(p, doc)).toEqual({ found: want.length > 0, value: want[0] })
    }
  })
})

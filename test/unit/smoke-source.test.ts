import { describe, expect, test } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { smoke } from '@gantry/probe'

const { parseSource, parseWhole, splitChecks } = smoke

/** The per-check parse must give exactly what one whole-document parse gives: values and every position. */
function expectSameAsWhole(text: string): void {
  const fast = parseSource(text)
  const whole = parseWhole(text)
  if (!fast.ok || !whole.ok) throw new Error('expected both parses to succeed')
  expect(fast.raw).toEqual(whole.raw)
  expect(new Map(fast.positions.offsets)).toEqual(new Map(whole.positions.offsets))
  // The per-check parse counts lines itself: every offset must land on the same line and column.
  const at = (p: typeof fast.positions) => Array.from({ length: text.length + 1 }, (_, i) => p.positionOf(i))
  expect(at(fast.positions)).toEqual(at(whole.positions))
  // Looked up by path (the checks from their own tables): every indexed path gives the whole parse's position.
  for (const [k, offset] of whole.positions.offsets) {
    const isKey = k.endsWith('\u0001')
    const segments = k === '' ? [] : (isKey ? k.slice(0, -1) : k).split('\u0000')
    const path: Array<string | number> = []
    let value: unknown = whole.raw
    for (const s of segments) {
      const step = Array.isArray(value) ? Number(s) : s
      path.push(step)
      value = (value as Record<string | number, unknown> | undefined)?.[step]
    }
    expect([k, fast.positions.at(path, isKey)]).toEqual([k, whole.positions.positionOf(offset)])
  }
}

const tricky: Record<string, string> = {
  'comments and blank lines between checks, also at column 0': [
    '# leading comment',
    'vars: { A: "1" }',
    'checks: # the list',
    '',
    '  - name: a',
    '    request: { url: /a }',
    '# a comment at column 0 inside the list',
    '',
    '  - name: b   # trailing',
    '    request:',
    '      url: /b',
    '',
    '    # indented comment',
    ''
  ].join('\n'),
  'checks at indent 0 and keys after the list': [
    'checks:',
    '- name: a',
    '  request: { url: /a }',
    '- name: b',
    '  request: { url: /b }',
    'vars:',
    '  X: y'
  ].join('\n'),
  'block scalars whose lines look like list items': [
    'checks:',
    '  - name: a',
    '    request:',
    '      url: /a',
    '      method: POST',
    '      body: |',
    '        - not an item',
    '          - nor this',
    '    expect: { body-contains: ok }'
  ].join('\n'),
  'multi-line flow maps and quoted strings': [
    'checks:',
    '  - name: "a multi',
    '      line name"',
    '    request: { url: /a,',
    '      headers: { X-A: "1" } }',
    '    expect:',
    '      json: { "$.a": { matches: "/^x/" }, $.b: [1, 2] }'
  ].join('\n'),
  'an anchor used inside its own check, a document start and end': [
    '---',
    'checks:',
    '  - name: a',
    '    request: &r { url: /a }',
    '    expect: { status: 200 }',
    '  - name: b',
    '    request: { url: /b }',
    '...',
    ''
  ].join('\n'),
  'a bare dash item and no final newline': ['checks:', '  -', '    name: a', '    request: { url: /a }'].join('\n')
}

describe('per-check YAML parse', () => {
  test.each(Object.entries(tricky))('%s: parsed per check, same values and positions as a whole parse', (_n, text) => {
    expect(parseSource(text)).toMatchObject({ ok: true, parsed: 'per-check' })
    expectSameAsWhole(text)
  })

  test.each(['examples/smoke/smoke.yml', 'examples/app/smoke.yml'])('%s', (file) => {
    const text = readFileSync(file, 'utf8')
    expect(parseSource(text)).toMatchObject({ ok: true, parsed: 'per-check' })
    expectSameAsWhole(text)
  })

  test('a 300-check spec', () => {
    const lines = ['checks:']
    for (let i = 0; i < 300; i++)
      lines.push(
        `  - name: item ${i}`,
        ...(i > 0 ? ['    needs: item 0'] : []),
        `    request: { url: /items/${i}, headers: { Authorization: 'Bearer \${token}' } }`,
        '    expect:',
        `      json: { $.id: ${i}, $.tags: { length: 3 } }`
      )
    const text = lines.join('\n')
    expect(splitChecks(text)?.items).toHaveLength(300)
    expectSameAsWhole(text)
  })

  test('the top is the text without the checks, and says what it cut', () => {
    const text = 'vars: {}\nchecks:\n  - name: a\n    request: { url: /a }\nvars2: 1\n'
    const split = splitChecks(text)
    expect(split?.top).toBe('vars: {}\nchecks:\n\nvars2: 1\n')
    expect(split?.cut).toEqual({ end: 17, removed: 36 })
    expect(split?.items).toEqual([{ start: 17, end: 53, indent: 2 }])
    // vars2 sits at 54 in the text and at 54 - 36 in the top.
    expect(split?.top.indexOf('vars2')).toBe(text.indexOf('vars2') - 36)
  })
})

describe('whole-document fallback', () => {
  const fallbacks: Record<string, string> = {
    'an anchor shared between checks': [
      'checks:',
      '  - name: a',
      '    request: &base { url: /a, method: POST }',
      '  - name: b',
      '    request: { <<: *base, url: /b }'
    ].join('\n'),
    'an anchor outside the list': ['x: &u /a', 'checks:', '  - name: a', '    request: { url: *u }'].join('\n'),
    'a flow-style list': 'checks: [{ name: a, request: { url: /a } }]\n',
    'a YAML directive': '%YAML 1.2\n---\nchecks:\n  - name: a\n    request: { url: /a }\n',
    'CRLF line ends': 'checks:\r\n  - name: a\r\n    request: { url: /a }\r\n',
    'checks written twice (an error, as the whole parse says)': 'checks:\n  - name: a\nchecks:\n  - name: b\n',
    'an indented checks key (not top level)': 'suite:\n  checks:\n    - name: a\n'
  }
  test.each(Object.entries(fallbacks))('%s', (_n, text) => {
    const r = parseSource(text)
    // The fallback is the whole parse itself: the same values, or the same error.
    const w = parseWhole(text)
    if (r.ok && w.ok) {
      expect(r.parsed).toBe('whole')
      expect(r.raw).toEqual(w.raw)
    } else expect(r).toEqual(w)
  })

  test('a YAML error inside one check is reported as the whole parse reports it', () => {
    const text = 'checks:\n  - name: a\n    request: { url: /a }\n  - name: b\n    request: { url: /b\n'
    const r = parseSource(text)
    expect(r.ok).toBe(false)
    expect(r).toEqual(parseWhole(text))
    if (!r.ok) expect(r.error.line).toBeGreaterThanOrEqual(5)
  })
})

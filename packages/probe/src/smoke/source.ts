/**
 * The spec's YAML, parsed with `yaml` keeping source positions, and an index
 * from the path of each value (and key) to where it is written.
 *
 * Why checks are parsed one by one: a spec is mostly its `checks:` list, and
 * parsed as one document a 500-check spec builds one large tree that lives
 * until the parse ends; V8 then grows its young generation to hold it, which
 * costs ~50 MiB of peak memory for 4,000 lines. So when the list is written in
 * plain block style, each check is parsed as its own small document, indexed
 * and dropped. Anything else — a YAML directive, a flow-style list, anchors
 * shared between checks, any YAML error — parses the whole text as one
 * document, which also gives the parser's own messages and positions.
 */
import {
  LineCounter,
  isMap,
  isScalar,
  isSeq,
  parseDocument,
  visit,
  type DocumentOptions,
  type ParseOptions,
  type SchemaOptions
} from 'yaml'

export type PathKey = string | number

export interface SourcePosition {
  line: number
  column: number
}

export type ParsedSource =
  | { ok: true; raw: unknown; positions: PositionIndex; parsed: 'per-check' | 'whole' }
  | { ok: false; error: SourcePosition & { message: string } }

const OPTIONS: ParseOptions & DocumentOptions & SchemaOptions = { prettyErrors: false, uniqueKeys: true, merge: true }
const TO_JS = { maxAliasCount: 100 }

export function parseSource(text: string): ParsedSource {
  const split = splitChecks(text)
  let fast: ReturnType<typeof parseSplit>
  try {
    fast = split && parseSplit(text, split)
  } catch {
    // An alias to an anchor in another check (unresolved in a check's own document): parse it whole.
    fast = undefined
  }
  if (fast)
    return {
      ok: true,
      raw: fast.raw,
      positions: new PositionIndex(fast.offsets, lineStarts(text), fast.checks),
      parsed: 'per-check'
    }
  return parseWhole(text)
}

/** The line starts yaml's parser reports for text (every LF ends a line; CR texts take the whole parse). */
function lineStarts(text: string): LineCounter {
  const lines = new LineCounter()
  lines.addNewLine(0)
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lines.addNewLine(i + 1)
  return lines
}

/** The whole text as one document: the fallback, and the reference the per-check parse must equal. */
export function parseWhole(text: string): ParsedSource {
  const whole = new LineCounter()
  const doc = parseDocument(text, { ...OPTIONS, lineCounter: whole })
  const yamlError = doc.errors[0]
  if (yamlError) {
    // Only the first: the parser's later errors are mostly echoes of it.
    const pos = whole.linePos(yamlError.pos[0])
    const first = yamlError.message.split('\n')[0] ?? ''
    const message = /call stack/i.test(first) ? `nested too deeply to parse (${first})` : first
    return { ok: false, error: { line: pos.line, column: pos.col, message } }
  }
  const offsets = new Map<string, number>()
  indexNode(doc.contents, [], 0, offsets)
  let raw: unknown
  try {
    raw = doc.toJS(TO_JS)
  } catch (e) {
    // yaml refuses an alias bomb (aliases expanding past maxAliasCount) while building values: a spec
    // problem at the first alias, with a report and JUnit like any other, never an uncaught error.
    const at = firstAlias(doc.contents) ?? 0
    const pos = whole.linePos(at)
    const why = e instanceof ReferenceError && /alias/i.test(e.message)
    const message = why
      ? `excessive alias expansion (more than ${TO_JS.maxAliasCount} aliased values, as in an alias bomb): write the values out`
      : (e as Error).message
    return { ok: false, error: { line: pos.line, column: pos.col, message } }
  }
  return { ok: true, raw, positions: new PositionIndex(offsets, whole), parsed: 'whole' }
}

/** The source offset of the first alias (`*name`) in the document, if any. */
function firstAlias(root: unknown): number | undefined {
  let found: number | undefined
  visit(root as Parameters<typeof visit>[0], {
    Alias(_key, node) {
      found = node.range?.[0]
      return visit.BREAK
    }
  })
  return found
}

/**
 * Where one check's values and keys start. Checks written alike (the same keys,
 * in the same order: most of a long spec) share one shape, so a check costs an
 * array of numbers rather than a map of path strings: ~13 MiB of peak memory
 * at 2,000 checks.
 */
class CheckOffsets {
  constructor(
    readonly shape: Shape,
    readonly offsets: Uint32Array
  ) {}

  get(localKey: string): number | undefined {
    const slot = this.shape.slots.get(localKey)
    return slot === undefined ? undefined : this.offsets[slot]
  }
}

/** The keys (paths inside a check, as indexKey writes them) of checks written alike, in order. */
interface Shape {
  keys: readonly string[]
  slots: ReadonlyMap<string, number>
}

/** Indexes checks one by one, sharing the shape of checks written alike. */
class CheckIndexer {
  private readonly shapes = new Map<string, Shape>()

  index(node: unknown, base: number): CheckOffsets {
    const local = new Map<string, number>()
    indexNode(node, [], base, local)
    const keys = [...local.keys()]
    const signature = keys.join('\u0002')
    let shape = this.shapes.get(signature)
    if (!shape) {
      shape = { keys, slots: new Map(keys.map((k, i) => [k, i])) }
      this.shapes.set(signature, shape)
    }
    return new CheckOffsets(shape, Uint32Array.from(local.values()))
  }
}

/** Where each value (and each map key) of the spec starts. */
export class PositionIndex {
  /**
   * @param top offsets by indexKey of the whole path; with `checks`, of everything but the checks
   * @param checks per check (parsed one by one), offsets by the path inside the check
   */
  constructor(
    private readonly top: ReadonlyMap<string, number>,
    private readonly lines: LineCounter,
    private readonly checks?: readonly CheckOffsets[]
  ) {}

  /** The position of the value at path (with key, of its key), or of its nearest written parent. */
  at(path: readonly PathKey[], key = false): SourcePosition {
    for (let n = path.length; n >= 0; n--) {
      const offset = this.offsetOf(path.slice(0, n), key && n === path.length)
      if (offset !== undefined) return this.positionOf(offset)
    }
    return { line: 1, column: 1 }
  }

  private offsetOf(path: readonly PathKey[], key: boolean): number | undefined {
    if (this.checks && path.length >= 2 && path[0] === 'checks' && typeof path[1] === 'number')
      return this.checks[path[1]]?.get(indexKey(path.slice(2), key))
    return this.top.get(indexKey(path, key))
  }

  /** Every indexed path's offset in one map, keyed as indexKey writes whole paths (for tests). */
  get offsets(): Map<string, number> {
    const all = new Map(this.top)
    this.checks?.forEach((c, i) =>
      c.shape.keys.forEach((k, slot) =>
        all.set(k === '' ? `checks\u0000${i}` : `checks\u0000${i}\u0000${k}`, c.offsets[slot])
      )
    )
    return all
  }

  /** Line and column (1-based) of a character offset into the text. */
  positionOf(offset: number): SourcePosition {
    const pos = this.lines.linePos(offset)
    return { line: pos.line, column: pos.col }
  }
}

function indexKey(path: readonly PathKey[], key: boolean): string {
  return `${path.join('\u0000')}${key ? '\u0001' : ''}`
}

/** Records the start of node and of everything under it; an alias is recorded, not followed. */
function indexNode(node: unknown, path: PathKey[], base: number, out: Map<string, number>): void {
  if (node === null || typeof node !== 'object') return
  const range = (node as { range?: [number, number, number] }).range
  const here = indexKey(path, false)
  if (range && !out.has(here)) out.set(here, base + range[0])
  if (isMap(node)) {
    for (const pair of node.items) {
      // Only scalar keys are addressable by a path; a complex key is reported at its map.
      if (!isScalar(pair.key)) continue
      const p = [...path, String(pair.key.value)]
      const k = indexKey(p, true)
      if (pair.key.range && !out.has(k)) out.set(k, base + pair.key.range[0])
      indexNode(pair.value, p, base, out)
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => indexNode(item, [...path, i], base, out))
  }
}

export interface ChecksSplit {
  /**
   * The text with the checks cut out (lines are counted on the whole text, offsets shifted by
   * `cut`): blanked, or kept as line ends, they cost the top document's parse a token each.
   */
  top: string
  /** Where the cut ends in top, and how many characters it removed: later offsets in top are that many short. */
  cut: { end: number; removed: number }
  /** Each check's text: from the start of its `- ` line to the start of the next. */
  items: Array<{ start: number; end: number; indent: number }>
}

/**
 * Finds the checks of a top-level `checks:` block list from the text's lines.
 * A line at the list's indentation that starts with `- ` begins a check; YAML
 * allows nothing else there (block scalars and continued flow text are indented
 * more), and a wrong cut is caught by the parse, which then falls back.
 */
export function splitChecks(text: string): ChecksSplit | undefined {
  // Directives change how the whole text is read; CR line ends are left to the full parser.
  if (/^%/m.test(text) || text.includes('\r')) return undefined
  const heads = [...text.matchAll(/^checks:[ \t]*(?:#.*)?$/gm)]
  if (heads.length !== 1) return undefined
  const head = heads[0]
  let pos = (head.index as number) + head[0].length + 1
  let indent = -1
  let listEnd = -1
  const items: ChecksSplit['items'] = []
  while (pos < text.length) {
    let eol = text.indexOf('\n', pos)
    if (eol < 0) eol = text.length
    const line = text.slice(pos, eol)
    const body = line.replace(/^ +/, '')
    if (body.startsWith('\t')) return undefined
    if (body === '' || body.startsWith('#')) {
      pos = eol + 1
      continue
    }
    const at = line.length - body.length
    const isItem = body === '-' || body.startsWith('- ')
    if (indent < 0) {
      if (!isItem) return undefined
      indent = at
    }
    if (at < indent || (at === indent && !isItem)) break
    if (at === indent) {
      if (items.length > 0) items[items.length - 1].end = pos
      items.push({ start: pos, end: eol, indent })
    }
    listEnd = eol
    pos = eol + 1
  }
  if (items.length === 0) return undefined
  const last = items[items.length - 1]
  last.end = listEnd
  const first = items[0].start
  const top = text.slice(0, first) + text.slice(last.end)
  return { top, cut: { end: first, removed: last.end - first }, items }
}

function parseSplit(
  text: string,
  split: ChecksSplit
): { raw: Record<string, unknown>; offsets: Map<string, number>; checks: CheckOffsets[] } | undefined {
  const top = parseDocument(split.top, OPTIONS)
  if (top.errors.length > 0 || !isMap(top.contents)) return undefined
  const checks = top.contents.items.find((p) => isScalar(p.key) && p.key.value === 'checks')
  if (!checks || !(checks.value === null || (isScalar(checks.value) && checks.value.value === null))) return undefined
  const offsets = new Map<string, number>()
  // Set first: the list starts at its first '-', not at the null the top document holds there.
  offsets.set(indexKey(['checks'], false), split.items[0].start + split.items[0].indent)
  const inTop = new Map<string, number>()
  indexNode(top.contents, [], 0, inTop)
  for (const [k, at] of inTop) if (!offsets.has(k)) offsets.set(k, at >= split.cut.end ? at + split.cut.removed : at)
  const raw = top.toJS(TO_JS) as Record<string, unknown>
  const list: unknown[] = []
  const indexer = new CheckIndexer()
  const checkOffsets: CheckOffsets[] = []
  for (const item of split.items) {
    const doc = parseDocument(text.slice(item.start, item.end), OPTIONS)
    if (doc.errors.length > 0 || !isSeq(doc.contents) || doc.contents.items.length !== 1) return undefined
    checkOffsets.push(indexer.index(doc.contents.items[0], item.start))
    list.push((doc.toJS(TO_JS) as unknown[])[0])
  }
  raw.checks = list
  return { raw, offsets, checks: checkOffsets }
}

// Rewrites a bundle so that it holds only ASCII: every other character becomes a
// \uXXXX escape (a surrogate pair for one outside the BMP), as esbuild writes its
// output by default. Why: V8 keeps a script's source in memory for the life of
// the process, one byte per character when every character fits in Latin-1 and
// two bytes otherwise, so one "✅" in a 2 MB bundle doubles its source to 4 MB.
// The escape means the same character in strings, templates, regexes and
// identifiers, and comments only change how they read. Two places where it
// would not are refused instead: the raw text of a tagged template (a tag sees
// the escape, not the character) and an identity escape such as `\é`.
import { parse } from 'acorn'

/**
 * @param {string} code a bundle file's text
 * @param {string} file its name, for the error
 * @returns {string} the same program in ASCII
 */
export function asciiOnly(code, file) {
  if (!/[\u0080-\uffff]/.test(code)) return code
  refuseTaggedTemplates(code, file)
  // Without the u flag the pattern matches one UTF-16 unit at a time, so astral characters become pairs.
  return code.replace(/(\\*)([\u0080-\uffff])/g, (_m, slashes, ch, at) => {
    // `\é` is an identity escape; `\\u00e9` would be a backslash and text. No bundle has one: stop rather than guess.
    if (slashes.length % 2 === 1) throw new Error(`${place(code, file, at)}: a backslash before a non-ASCII character`)
    return `${slashes}\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`
  })
}

/** A tag reads its template's raw text, where an escape is not the character it stands for. */
function refuseTaggedTemplates(code, file) {
  const ast = parse(code, { ecmaVersion: 'latest', sourceType: 'module' })
  const visit = (node) => {
    if (
      node.type === 'TaggedTemplateExpression' &&
      /[\u0080-\uffff]/.test(code.slice(node.quasi.start, node.quasi.end))
    )
      throw new Error(
        `${place(code, file, node.start)}: a tagged template with non-ASCII text (its tag reads the raw text)`
      )
    for (const value of Object.values(node)) {
      if (Array.isArray(value)) {
        for (const v of value) if (v && typeof v.type === 'string') visit(v)
      } else if (value && typeof value.type === 'string') visit(value)
    }
  }
  visit(ast)
}

function place(code, file, at) {
  return `${file}:${code.slice(0, at).split('\n').length}`
}

// Rewrites a bundle so that it holds only ASCII: every other character becomes a
// \uXXXX escape (a surrogate pair for one outside the BMP), as esbuild writes its
// output by default. Why: V8 keeps a script's source in memory for the life of
// the process, one byte per character when every character fits in Latin-1 and
// two bytes otherwise, so one "✅" in a 2 MB bundle doubles its source to 4 MB.
// The escape means the same character in strings, templates, regexes and
// identifiers, and comments only change how they read.

/**
 * @param {string} code a bundle file's text
 * @param {string} file its name, for the error
 * @returns {string} the same program in ASCII
 */
export function asciiOnly(code, file) {
  // Without the u flag the pattern matches one UTF-16 unit at a time, so astral characters become pairs.
  return code.replace(/(\\*)([\u0080-\uffff])/g, (_m, slashes, ch, at) => {
    // `\é` is an identity escape; `\\u00e9` would be a backslash and text. No bundle has one: stop rather than guess.
    if (slashes.length % 2 === 1) {
      const line = code.slice(0, at).split('\n').length
      throw new Error(`${file}:${line}: a backslash before a non-ASCII character; escape it in the source`)
    }
    return `${slashes}\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`
  })
}

// @actions/workflow-parser imports its JSON schema without an import attribute,
// which Node 20 refuses; this hook serves .json files as ES modules instead.
import { register } from 'node:module'

register(
  'data:text/javascript,' +
    encodeURIComponent(`
import { readFile } from 'node:fs/promises'
export async function load(url, context, next) {
  if (url.endsWith('.json') && url.startsWith('file:')) {
    const text = await readFile(new URL(url), 'utf8')
    return { format: 'module', source: 'export default ' + text, shortCircuit: true }
  }
  return next(url, context)
}`)
)

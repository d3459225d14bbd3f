// Module hooks that let a bench (plain node, .mjs) import the test helpers,
// which are TypeScript (jest runs them through ts-jest): `.ts` files are
// transpiled with the TypeScript compiler already in devDependencies (types are
// dropped, nothing is checked), `./x.js` resolves to `./x.ts` next to it, and
// `@gantry/<pkg>` to the package's source, as jest.config's moduleNameMapper does.
// Registered by ts-loader.mjs.
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

const root = new URL('../../', import.meta.url)

export async function resolve(specifier, context, next) {
  if (specifier === '@gantry/probe/smoke')
    return { url: new URL('packages/probe/src/smoke/index.ts', root).href, shortCircuit: true }
  const pkg = /^@gantry\/([^/]+)$/.exec(specifier)
  if (pkg) return { url: new URL(`packages/${pkg[1]}/src/index.ts`, root).href, shortCircuit: true }
  if (context.parentURL?.endsWith('.ts') && /^\.{1,2}\/.*\.js$/.test(specifier)) {
    const asTs = new URL(specifier.replace(/\.js$/, '.ts'), context.parentURL)
    if (existsSync(fileURLToPath(asTs))) return { url: asTs.href, shortCircuit: true }
  }
  return next(specifier, context)
}

export async function load(url, context, next) {
  if (!url.endsWith('.ts')) return next(url, context)
  const file = fileURLToPath(url)
  const out = ts.transpileModule(readFileSync(file, 'utf8'), {
    fileName: file,
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      sourceMap: false,
      inlineSourceMap: true
    }
  })
  return { format: 'module', source: out.outputText, shortCircuit: true }
}

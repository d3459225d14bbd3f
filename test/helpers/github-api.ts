// A local stand-in for GitHub's REST API on 127.0.0.1, for tests that point
// GITHUB_API_URL at it. Every request is checked against GitHub's own OpenAPI
// description (the installed @octokit/openapi package): the route and method
// must exist, path and query parameters must match their schemas, and a JSON
// body must validate against the operation's request-body schema. A request
// that does not match is answered 404/422 and recorded in `rejected`, so a test
// asserts `rejected` is empty rather than trusting our own idea of the API.
//
// Stricter than GitHub in one way, on purpose: unknown top-level body
// properties are rejected (GitHub ignores them), so a misspelt field such as
// `environmentUrl` fails the test instead of silently doing nothing.
//
// Responses are canned per operationId (`respond`); without one, the stand-in
// serves the example the OpenAPI description gives for the operation's success
// response.
//
// Usage:
//   const api = await startGitHubApi()            // { prefix: '/api/v3' } for GHES
//   api.respond('repos/create-deployment', [{ status: 502 }, exampleResponse('repos/create-deployment')])
//   await runAction('deploy-atomic', { env: { GITHUB_API_URL: api.url }, ... })
//   expect(api.rejected).toEqual([])               // every request matched the description
//   expect(api.calls('repos/create-deployment-status')[0].body).toMatchObject({ state: 'success' })
//   await api.close()
import { Ajv, type ValidateFunction } from 'ajv'
import formats from 'ajv-formats'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { readBody, startServer, type TestServer } from './http.js'

type Json = unknown
interface Schema {
  [k: string]: unknown
}
interface Parameter {
  name: string
  in: 'path' | 'query' | 'header' | 'cookie'
  required?: boolean
  schema?: Schema
}
interface Operation {
  operationId: string
  parameters?: Array<Parameter | { $ref: string }>
  requestBody?: { required?: boolean; content: Record<string, { schema?: Schema }> }
  responses: Record<string, { $ref?: string; content?: Record<string, { examples?: Record<string, Json> }> }>
}
interface Spec {
  openapi: string
  paths: Record<string, Record<string, Operation>>
  components: Record<string, Record<string, unknown>>
}

export interface RecordedRequest {
  method: string
  /** Path without the base prefix and without the query. */
  path: string
  query: Record<string, string>
  headers: IncomingMessage['headers']
  /** The raw body text, and the parsed JSON when there was one. */
  text: string
  body: Json
  operationId: string
  /** Path parameters, as strings. */
  params: Record<string, string>
}

export interface Rejection {
  method: string
  path: string
  operationId?: string
  errors: string[]
}

export interface CannedResponse {
  status: number
  body?: Json
  headers?: Record<string, string>
}

/** A fixed response, a sequence (the last one repeats), or a function of the request. */
export type Responder =
  CannedResponse | CannedResponse[] | ((req: RecordedRequest, n: number) => CannedResponse | Promise<CannedResponse>)

export interface GitHubApiOptions {
  /** A path prefix, as GHES serves the API under /api/v3. */
  prefix?: string
  /** Answer 401 to requests without an Authorization header (default true). */
  requireAuth?: boolean
  /** Reject unknown top-level body properties (default true). */
  strictBodies?: boolean
  responses?: Record<string, Responder>
}

export interface GitHubApi {
  /** The value for GITHUB_API_URL. */
  url: string
  /** Requests that matched the description (in arrival order). */
  requests: RecordedRequest[]
  /** Requests that did not, with the reasons. */
  rejected: Rejection[]
  /** Requests for one operation. */
  calls(operationId: string): RecordedRequest[]
  respond(operationId: string, responder: Responder): void
  close(): Promise<void>
}

const require = createRequire(import.meta.url)
// ajv-formats is CommonJS: under NodeNext its plugin is the module's `default` property.
const addFormats = formats.default
const METHODS = ['get', 'put', 'post', 'patch', 'delete', 'head', 'options']

interface Route {
  method: string
  template: string
  regex: RegExp
  names: string[]
  op: Operation
}

let loaded: { spec: Spec; routes: Route[]; ajv: Ajv; coercing: Ajv } | undefined

/** Loads (once per test process) the description and the validators. */
function load(): NonNullable<typeof loaded> {
  if (loaded) return loaded
  const file = require.resolve('@octokit/openapi/generated/api.github.com.json')
  const spec = JSON.parse(readFileSync(file, 'utf8')) as Spec
  const routes: Route[] = []
  for (const [template, item] of Object.entries(spec.paths)) {
    for (const method of METHODS) {
      const op = item[method]
      if (!op) continue
      const names: string[] = []
      const pattern = template
        .split(/(\{[^}]+\})/)
        .map((part) => {
          const m = /^\{([^}]+)\}$/.exec(part)
          if (!m) return part.replace(/[.*+?^$()|[\]\\]/g, '\\$&')
          names.push(m[1])
          return '([^/]+)'
        })
        .join('')
      routes.push({ method: method.toUpperCase(), template, regex: new RegExp(`^${pattern}$`), names, op })
    }
  }
  // Literal segments win over parameters (GitHub routes /x/latest before /x/{id}).
  routes.sort((a, b) => a.names.length - b.names.length)
  // OpenAPI 3.0 schemas: `nullable` is understood by Ajv; `example`, `x-github`
  // and friends are annotations, hence strict: false.
  const make = (coerceTypes: boolean) => {
    const ajv = new Ajv({ strict: false, allErrors: true, coerceTypes, validateFormats: true })
    addFormats(ajv)
    ajv.addSchema({ $id: 'github', components: spec.components })
    return ajv
  }
  loaded = { spec, routes, ajv: make(false), coercing: make(true) }
  return loaded
}

/** Points local $refs at the components registered under the id `github`. */
function rebase(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(rebase)
  if (!schema || typeof schema !== 'object') return schema
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(schema)) {
    out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `github${v}` : rebase(v)
  }
  return out
}

function deref<T>(spec: Spec, value: T | { $ref: string }): T {
  let cur: unknown = value
  for (let i = 0; i < 10 && cur && typeof cur === 'object' && '$ref' in cur; i++) {
    const ref = (cur as { $ref: string }).$ref
    cur = ref
      .replace(/^#\//, '')
      .split('/')
      .reduce<unknown>((o, key) => (o as Record<string, unknown>)?.[key], spec)
  }
  return cur as T
}

const compiled = new Map<string, ValidateFunction>()
function validator(ajv: Ajv, key: string, schema: unknown): ValidateFunction {
  const known = compiled.get(key)
  if (known) return known
  const v = ajv.compile(rebase(schema) as Schema)
  compiled.set(key, v)
  return v
}

function describeErrors(where: string, v: ValidateFunction): string[] {
  return (v.errors ?? []).map((e) => `${where}${e.instancePath || ''} ${e.message ?? 'is invalid'}`.trim())
}

/** Checks one request against its operation; returns the reasons it does not match. */
function check(
  route: Route,
  params: Record<string, string>,
  query: Record<string, string>,
  contentType: string | undefined,
  text: string,
  strictBodies: boolean
): { errors: string[]; body: Json } {
  const { spec, ajv, coercing } = load()
  const errors: string[] = []
  const op = route.op
  for (const raw of op.parameters ?? []) {
    const p = deref<Parameter>(spec, raw)
    if (p.in !== 'path' && p.in !== 'query') continue
    const value = p.in === 'path' ? params[p.name] : query[p.name]
    if (value === undefined) {
      if (p.required) errors.push(`${p.in} parameter '${p.name}' is required`)
      continue
    }
    if (!p.schema) continue
    // Coercion works on a container, so validate { value } against { value: schema }.
    const holder = { value: decodeURIComponent(value) }
    const wrap = validator(coercing, `${op.operationId}:${p.in}:${p.name}`, {
      type: 'object',
      properties: { value: p.schema }
    })
    if (!wrap(holder)) errors.push(...describeErrors(`${p.in} parameter '${p.name}'`, wrap))
  }
  let body: Json = undefined
  const content = op.requestBody?.content
  if (text.trim() === '') {
    if (op.requestBody?.required) errors.push('a request body is required')
  } else if (!content) {
    errors.push(`${op.operationId} takes no request body`)
  } else if (content['application/json']) {
    if (contentType && !/json/i.test(contentType)) errors.push(`content-type '${contentType}' is not JSON`)
    try {
      body = JSON.parse(text)
    } catch {
      errors.push('the request body is not valid JSON')
      return { errors, body }
    }
    const schema = content['application/json'].schema
    if (schema) {
      const v = validator(ajv, `${op.operationId}:body`, schema)
      if (!v(body)) errors.push(...describeErrors('body', v))
      const resolved = deref<Schema>(spec, schema)
      const props = resolved.properties as Record<string, unknown> | undefined
      if (strictBodies && props && body && typeof body === 'object' && !Array.isArray(body)) {
        for (const k of Object.keys(body)) {
          if (!(k in props)) errors.push(`body has unknown property '${k}' (not in ${op.operationId})`)
        }
      }
    }
  } else {
    body = text
  }
  return { errors, body }
}

/** The description's example for the operation's first success response. */
function example(op: Operation): CannedResponse {
  const { spec } = load()
  const codes = Object.keys(op.responses)
    .filter((c) => /^2\d\d$/.test(c))
    .sort()
  const code = codes[0] ?? '200'
  const response = deref<Operation['responses'][string]>(spec, op.responses[code] ?? {})
  const json = response?.content?.['application/json']
  const first = json?.examples ? Object.values(json.examples)[0] : undefined
  const value = first ? (deref<{ value?: Json }>(spec, first as { $ref: string }).value ?? undefined) : undefined
  return { status: Number(code), body: value }
}

export async function startGitHubApi(options: GitHubApiOptions = {}): Promise<GitHubApi> {
  const { routes } = load()
  const prefix = (options.prefix ?? '').replace(/\/+$/, '')
  const requireAuth = options.requireAuth ?? true
  const strictBodies = options.strictBodies ?? true
  const responders = new Map<string, Responder>(Object.entries(options.responses ?? {}))
  const requests: RecordedRequest[] = []
  const rejected: Rejection[] = []

  const send = (res: ServerResponse, r: CannedResponse) => {
    const text = r.body === undefined ? '' : JSON.stringify(r.body)
    res.writeHead(r.status, {
      ...(text ? { 'content-type': 'application/json; charset=utf-8' } : {}),
      'x-github-media-type': 'github.v3; format=json',
      ...r.headers
    })
    res.end(text)
  }

  const server: TestServer = await startServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const method = (req.method ?? 'GET').toUpperCase()
    const text = await readBody(req)
    let path = url.pathname
    if (prefix) {
      if (!path.startsWith(prefix + '/')) {
        rejected.push({ method, path, errors: [`path is not under the prefix ${prefix}`] })
        return send(res, { status: 404, body: { message: 'Not Found' } })
      }
      path = path.slice(prefix.length)
    }
    const query = Object.fromEntries(url.searchParams)
    let route: Route | undefined
    let match: RegExpExecArray | null = null
    for (const r of routes) {
      if (r.method !== method) continue
      match = r.regex.exec(path)
      if (match) {
        route = r
        break
      }
    }
    if (!route || !match) {
      rejected.push({ method, path, errors: [`no operation ${method} ${path} in GitHub's OpenAPI description`] })
      return send(res, { status: 404, body: { message: 'Not Found' } })
    }
    const params = Object.fromEntries(route.names.map((n, i) => [n, match[i + 1]]))
    const operationId = route.op.operationId
    if (requireAuth && !req.headers.authorization) {
      rejected.push({ method, path, operationId, errors: ['no Authorization header'] })
      return send(res, { status: 401, body: { message: 'Requires authentication' } })
    }
    const { errors, body } = check(route, params, query, req.headers['content-type'], text, strictBodies)
    if (errors.length) {
      rejected.push({ method, path, operationId, errors })
      return send(res, { status: 422, body: { message: 'Validation Failed', errors } })
    }
    const recorded: RecordedRequest = { method, path, query, headers: req.headers, text, body, operationId, params }
    requests.push(recorded)
    const n = requests.filter((r) => r.operationId === operationId).length
    const responder = responders.get(operationId)
    let response: CannedResponse
    if (!responder) response = example(route.op)
    else if (typeof responder === 'function') response = await responder(recorded, n)
    else if (Array.isArray(responder)) response = responder[Math.min(n, responder.length) - 1]
    else response = responder
    send(res, response)
  })

  return {
    url: `${server.url}${prefix}`,
    requests,
    rejected,
    calls: (operationId) => requests.filter((r) => r.operationId === operationId),
    respond: (operationId, responder) => {
      if (!routes.some((r) => r.op.operationId === operationId)) {
        throw new Error(`github-api: no operation '${operationId}' in GitHub's OpenAPI description`)
      }
      responders.set(operationId, responder)
    },
    close: () => server.close()
  }
}

/** The description's example response for an operation (to build canned responses from). */
export function exampleResponse(operationId: string): CannedResponse {
  const route = load().routes.find((r) => r.op.operationId === operationId)
  if (!route) throw new Error(`github-api: no operation '${operationId}' in GitHub's OpenAPI description`)
  return example(route.op)
}

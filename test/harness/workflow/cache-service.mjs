// A stand-in for the GitHub Actions cache service (v2, "results" twirp API),
// for the local workflow runner and tests. It serves exactly what
// @actions/cache v6's saveCache/restoreCache (saveCacheV2/restoreCacheV2) call:
//   - CacheServiceClientJSON (internal/shared/cacheTwirpClient.js) POSTs
//     /twirp/github.actions.results.api.v1.CacheService/{GetCacheEntryDownloadURL,
//     CreateCacheEntry,FinalizeCacheEntryUpload} with JSON in proto field names
//     (key, restore_keys, version, size_bytes) and a bearer ACTIONS_RUNTIME_TOKEN;
//   - uploadCacheArchiveSDK (internal/uploadUtils.js): @azure/storage-blob's
//     BlockBlobClient.uploadFile to the signed upload URL — one Put Blob, or Put
//     Block per block then Put Block List;
//   - downloadCacheHttpClient (internal/downloadUtils.js): a plain GET of the
//     signed download URL (not *.blob.core.windows.net, so no Azure SDK).
// Matching follows GitHub's documented rule: same version only; the exact key,
// then the key as a prefix, then each restore key as a prefix, newest first.
// An entry is visible only once finalized; creating an existing key+version is
// refused with twirp already_exists (409), as GitHub refuses to overwrite. One
// branch only (no scopes). Entries live in `dir` (entries.json, blobs/).
import { createHash, createHmac, randomBytes } from 'node:crypto'
import { createReadStream, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { appendFile, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import { join } from 'node:path'

const TWIRP = '/twirp/github.actions.results.api.v1.CacheService/'

/** @param {{ dir: string, token?: string }} options */
export async function start({ dir, token = `cache-${randomBytes(12).toString('hex')}` }) {
  mkdirSync(join(dir, 'blobs'), { recursive: true })
  mkdirSync(join(dir, 'blocks'), { recursive: true })
  const db = join(dir, 'entries.json')
  const state = existsSync(db) ? JSON.parse(readFileSync(db, 'utf8')) : { next: 1, entries: [] }
  const persist = () => writeFileSync(db, JSON.stringify(state, null, 2))
  const secret = randomBytes(16)
  const sign = (id, perm) => createHmac('sha256', secret).update(`${id}:${perm}`).digest('hex')
  const requests = []
  let url = ''
  const blobUrl = (id, perm) => `${url}/blob/cache/${id}?sp=${perm}&sig=${sign(id, perm)}`

  const rpc = {
    GetCacheEntryDownloadURL(b) {
      const done = state.entries.filter((e) => e.finalized && e.version === b.version)
      const newest = (pred) => done.filter(pred).sort((x, y) => y.finalized - x.finalized || y.id - x.id)[0]
      const hit =
        newest((e) => e.key === b.key) ??
        newest((e) => e.key.startsWith(b.key)) ??
        (b.restore_keys ?? []).map((k) => newest((e) => e.key.startsWith(k))).find(Boolean)
      if (!hit) return { ok: false, signed_download_url: '', matched_key: '' }
      return { ok: true, signed_download_url: blobUrl(hit.id, 'r'), matched_key: hit.key }
    },
    CreateCacheEntry(b) {
      if (state.entries.some((e) => e.key === b.key && e.version === b.version))
        return twirpError(409, 'already_exists', 'cache entry with the same key, version, and scope already exists')
      const e = { id: state.next++, key: b.key, version: b.version, size: 0, created: Date.now(), finalized: 0 }
      state.entries.push(e)
      persist()
      return { ok: true, signed_upload_url: blobUrl(e.id, 'w') }
    },
    FinalizeCacheEntryUpload(b) {
      const e = state.entries.find((x) => x.key === b.key && x.version === b.version && !x.finalized)
      if (!e) return { ok: false, entry_id: '0', message: `no pending entry for key ${b.key}` }
      const file = join(dir, 'blobs', String(e.id))
      const size = existsSync(file) ? statSync(file).size : -1
      if (size !== Number(b.size_bytes))
        return { ok: false, entry_id: '0', message: `uploaded ${size} bytes, size_bytes says ${b.size_bytes}` }
      e.size = size
      e.finalized = Math.max(Date.now(), ...state.entries.map((x) => x.finalized + 1))
      persist()
      return { ok: true, entry_id: String(e.id) }
    }
  }

  async function twirp(req, res, method, rec) {
    const auth = req.headers.authorization ?? ''
    rec.auth = auth.startsWith('Bearer ') ? 'bearer' : auth ? 'other' : 'none'
    const text = (await body(req)).toString('utf8')
    if (auth !== `Bearer ${token}`) return twirpError(401, 'unauthenticated', 'a valid bearer token is required')
    if (!Object.hasOwn(rpc, method)) return twirpError(404, 'bad_route', `no method ${method}`)
    if (!String(req.headers['content-type']).startsWith('application/json'))
      return twirpError(415, 'malformed', 'the stand-in speaks twirp JSON only')
    try {
      rec.body = JSON.parse(text)
    } catch {
      return twirpError(400, 'malformed', 'the body is not JSON')
    }
    return rpc[method](rec.body)
  }

  // Azure Blob REST, as BlockBlobClient.uploadFile and a plain GET use it.
  async function blob(req, res, u, rec) {
    const id = Number(u.pathname.split('/')[3])
    const perm = req.method === 'GET' || req.method === 'HEAD' ? 'r' : 'w'
    const e = state.entries.find((x) => x.id === id)
    const data = await body(req)
    rec.bytes = data.length
    if (!e || u.searchParams.get('sp') !== perm || u.searchParams.get('sig') !== sign(id, perm))
      return blobError(res, 403, 'AuthenticationFailed')
    const file = join(dir, 'blobs', String(id))
    if (perm === 'r') {
      if (!e.finalized) return blobError(res, 404, 'BlobNotFound')
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': statSync(file).size })
      if (req.method === 'HEAD') return res.end()
      return createReadStream(file).pipe(res)
    }
    if (req.method !== 'PUT' || e.finalized) return blobError(res, 409, 'BlobImmutable')
    const comp = u.searchParams.get('comp')
    const blocks = join(dir, 'blocks', String(id))
    const blockFile = (bid) => join(blocks, createHash('sha256').update(bid).digest('hex'))
    if (comp === 'block') {
      rec.op = 'PutBlock'
      const bid = u.searchParams.get('blockid')
      if (!bid) return blobError(res, 400, 'InvalidQueryParameterValue')
      mkdirSync(blocks, { recursive: true })
      await writeFile(blockFile(bid), data)
    } else if (comp === 'blocklist') {
      rec.op = 'PutBlockList'
      const ids = [...data.toString('utf8').matchAll(/<(Latest|Uncommitted|Committed)>([^<]*)<\/\1>/g)].map((m) => m[2])
      rec.blocks = ids.length
      if (ids.some((bid) => !existsSync(blockFile(bid)))) return blobError(res, 400, 'InvalidBlockList')
      await writeFile(file, '')
      for (const bid of ids) await appendFile(file, await readFile(blockFile(bid)))
      await rm(blocks, { recursive: true, force: true })
    } else if (!comp && req.headers['x-ms-blob-type'] === 'BlockBlob') {
      rec.op = 'PutBlob'
      await writeFile(file, data)
    } else return blobError(res, 400, 'UnsupportedQueryParameter')
    res.writeHead(201, {
      etag: `"0x${id.toString(16)}${Date.now().toString(16)}"`,
      'last-modified': new Date().toUTCString(),
      'x-ms-request-id': randomBytes(8).toString('hex'),
      'x-ms-version': req.headers['x-ms-version'] ?? '2025-01-05',
      'x-ms-request-server-encrypted': 'false',
      'content-length': 0
    })
    res.end()
  }

  const server = createServer(async (req, res) => {
    const u = new URL(req.url ?? '/', 'http://x')
    const rec = { method: req.method, path: u.pathname, query: Object.fromEntries(u.searchParams) }
    requests.push(rec)
    if (req.headers['x-ms-blob-type']) rec.blobType = req.headers['x-ms-blob-type']
    try {
      if (req.method === 'POST' && u.pathname.startsWith(TWIRP)) {
        rec.rpc = u.pathname.slice(TWIRP.length)
        const out = await twirp(req, res, rec.rpc, rec)
        rec.status = out.status ?? 200
        rec.response = out.error ?? out
        res.writeHead(rec.status, { 'content-type': 'application/json' })
        res.end(JSON.stringify(rec.response))
      } else if (u.pathname.startsWith('/blob/cache/')) {
        await blob(req, res, u, rec)
        rec.status = res.statusCode
      } else {
        rec.status = 404
        res.writeHead(404).end()
      }
    } catch (err) {
      rec.status = 500
      rec.error = String(err)
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ code: 'internal', msg: String(err) }))
    }
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${server.address().port}`
  return {
    url,
    env: { ACTIONS_CACHE_SERVICE_V2: 'true', ACTIONS_RESULTS_URL: `${url}/`, ACTIONS_RUNTIME_TOKEN: token },
    requests,
    dir,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve(undefined))
      })
  }
}

function twirpError(status, code, msg) {
  return { status, error: { code, msg } }
}

function blobError(res, status, code) {
  res.writeHead(status, { 'content-type': 'application/xml', 'x-ms-error-code': code })
  res.end(`<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${code}</Message></Error>`)
}

function body(req) {
  return new Promise((resolve, reject) => {
    const chunks = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

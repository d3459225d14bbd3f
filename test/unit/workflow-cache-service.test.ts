// The cache service stand-in (test/harness/workflow/cache-service.mjs) against
// @actions/cache v6's real saveCache/restoreCache (cache service v2: twirp JSON,
// Put Blob upload through @azure/storage-blob, plain GET download), in-process
// with the service's env set for the duration. The Put Block + Put Block List
// path (archives over 128 MiB in saveCache) is driven through the same SDK call
// with a small single-shot limit.
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as cache from '@actions/cache'
import { BlockBlobClient } from '@azure/storage-blob'
import { start, type CacheService } from '../harness/workflow/cache-service.mjs'

jest.setTimeout(60_000)

const work = mkdtempSync(join(tmpdir(), 'gantry-cache-service-'))
const data = join(work, 'data')
const other = join(work, 'other')
let service: CacheService
// @actions/core writes ::debug:: and info lines to stdout: kept here, not printed.
const out: string[] = []
const saved: Record<string, string | undefined> = {}
const ENV = [
  'ACTIONS_CACHE_SERVICE_V2',
  'ACTIONS_RESULTS_URL',
  'ACTIONS_RUNTIME_TOKEN',
  'ACTIONS_CACHE_URL',
  'ACTIONS_CACHE_MODE',
  'GITHUB_SERVER_URL',
  'RUNNER_TEMP'
]

beforeAll(async () => {
  service = await start({ dir: join(work, 'service') })
  for (const k of ENV) saved[k] = process.env[k]
  delete process.env.ACTIONS_CACHE_URL
  delete process.env.ACTIONS_CACHE_MODE
  delete process.env.GITHUB_SERVER_URL
  Object.assign(process.env, service.env, { RUNNER_TEMP: join(work, 'temp') })
  mkdirSync(join(work, 'temp'), { recursive: true })
  jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    out.push(String(s))
    return true
  })
})
afterAll(async () => {
  jest.restoreAllMocks()
  for (const k of ENV) {
    if (saved[k] === undefined) delete process.env[k]
    else process.env[k] = saved[k]
  }
  await service.close()
  rmSync(work, { recursive: true, force: true })
})

const writeData = (dir: string, text: string) => {
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'a.txt'), text)
}
const since = (n: number) => service.requests.slice(n)
const mark = () => service.requests.length
const rpcs = (n: number) => since(n).map((r) => r.rpc ?? `${r.method} ${r.op ?? 'blob'}`)

async function twirp(method: string, body: unknown, auth = `Bearer ${service.env.ACTIONS_RUNTIME_TOKEN}`) {
  const res = await fetch(`${service.url}/twirp/github.actions.results.api.v1.CacheService/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
    body: JSON.stringify(body)
  })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

describe('@actions/cache v2 against the stand-in', () => {
  let version = ''

  test('the service is available to @actions/cache through its env', () => {
    expect(cache.isFeatureAvailable()).toBe(true)
  })

  test('miss: GetCacheEntryDownloadURL with the key and the paths version (empty restore_keys left out); not ok', async () => {
    writeData(data, 'one')
    const n = mark()
    expect(await cache.restoreCache([data], 'build-1')).toBeUndefined()
    expect(since(n)).toEqual([
      expect.objectContaining({
        method: 'POST',
        rpc: 'GetCacheEntryDownloadURL',
        auth: 'bearer',
        status: 200,
        body: { key: 'build-1', version: expect.stringMatching(/^[0-9a-f]{64}$/) },
        response: expect.objectContaining({ ok: false })
      })
    ])
    version = since(n)[0].body?.version as string
  })

  test('save: CreateCacheEntry, one Put Blob to the signed URL, FinalizeCacheEntryUpload with the size', async () => {
    const n = mark()
    const id = await cache.saveCache([data], 'build-1')
    expect(id).toBeGreaterThan(0)
    expect(rpcs(n)).toEqual(['CreateCacheEntry', 'PUT PutBlob', 'FinalizeCacheEntryUpload'])
    const [create, put, finalize] = since(n)
    expect(create.body).toEqual({ key: 'build-1', version })
    expect(create.response).toEqual({ ok: true, signed_upload_url: expect.stringContaining(service.url) })
    expect(put).toMatchObject({ status: 201, blobType: 'BlockBlob' })
    expect(put.bytes).toBeGreaterThan(0)
    expect(finalize.body).toEqual({ key: 'build-1', version, size_bytes: String(put.bytes) })
    expect(finalize.response).toEqual({ ok: true, entry_id: String(id) })
  })

  test('exact hit: the entry is downloaded with a plain GET and extracted', async () => {
    writeData(data, 'changed')
    const n = mark()
    expect(await cache.restoreCache([data], 'build-1', ['build-'])).toBe('build-1')
    expect(readFileSync(join(data, 'a.txt'), 'utf8')).toBe('one')
    expect(rpcs(n)).toEqual(['GetCacheEntryDownloadURL', 'GET blob'])
    expect(since(n)[0].body).toEqual({ key: 'build-1', restore_keys: ['build-'], version })
    expect(since(n)[1]).toMatchObject({ status: 200, query: { sp: 'r' } })
  })

  test('restore keys match as prefixes, newest first', async () => {
    writeData(data, 'two')
    expect(await cache.saveCache([data], 'build-2')).toBeGreaterThan(0)
    writeData(data, 'x')
    expect(await cache.restoreCache([data], 'other-key', ['nothing-', 'build-'])).toBe('build-2')
    expect(readFileSync(join(data, 'a.txt'), 'utf8')).toBe('two')
    // The primary key also matches as a prefix, as GitHub documents.
    expect(await cache.restoreCache([data], 'build-', [], { lookupOnly: true })).toBe('build-2')
  })

  test('another version (other paths) is a miss for the same key', async () => {
    writeData(other, 'one')
    const n = mark()
    expect(await cache.restoreCache([other], 'build-1', ['build-'])).toBeUndefined()
    expect(since(n)[0].body?.version).not.toBe(version)
  })

  test('a second save of the same key is refused: 409 already_exists, saveCache logs and returns -1', async () => {
    writeData(data, 'three')
    const n = mark()
    const from = out.length
    const id = await cache.saveCache([data], 'build-1')
    expect(id).toBe(-1)
    expect(rpcs(n)).toEqual(['CreateCacheEntry'])
    expect(since(n)[0]).toMatchObject({ status: 409, response: { code: 'already_exists' } })
    expect(out.slice(from).join('')).toContain(
      'Failed to save: Unable to reserve cache with key build-1, another job may be creating this cache.'
    )
    // The entry kept is the first one.
    writeData(data, 'x')
    expect(await cache.restoreCache([data], 'build-1')).toBe('build-1')
    expect(readFileSync(join(data, 'a.txt'), 'utf8')).toBe('one')
  })
})

describe('the stand-in on its own terms', () => {
  test('twirp calls need the bearer token', async () => {
    expect(await twirp('GetCacheEntryDownloadURL', { key: 'k', version: 'v' }, '')).toMatchObject({
      status: 401,
      body: { code: 'unauthenticated' }
    })
    expect((await twirp('GetCacheEntryDownloadURL', { key: 'k', version: 'v' }, 'Bearer wrong')).status).toBe(401)
  })

  test('Put Block + Put Block List through BlockBlobClient.uploadFile; visible only after Finalize', async () => {
    const created = await twirp('CreateCacheEntry', { key: 'blocks-1', version: 'v1' })
    expect(created.body.ok).toBe(true)
    const file = join(work, 'big.bin')
    const bytes = Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 251))
    writeFileSync(file, bytes)
    const n = mark()
    const client = new BlockBlobClient(created.body.signed_upload_url as string)
    await client.uploadFile(file, { blockSize: 1024, maxSingleShotSize: 1024, concurrency: 2 })
    expect(rpcs(n).sort()).toEqual(['PUT PutBlock', 'PUT PutBlock', 'PUT PutBlock', 'PUT PutBlockList'])
    expect(since(n).find((r) => r.op === 'PutBlockList')).toMatchObject({ status: 201, blocks: 3 })

    const lookup = { key: 'blocks-1', restore_keys: [], version: 'v1' }
    expect((await twirp('GetCacheEntryDownloadURL', lookup)).body.ok).toBe(false)
    expect(
      (await twirp('FinalizeCacheEntryUpload', { key: 'blocks-1', version: 'v1', size_bytes: '2999' })).body.ok
    ).toBe(false)
    expect(
      (await twirp('FinalizeCacheEntryUpload', { key: 'blocks-1', version: 'v1', size_bytes: '3000' })).body.ok
    ).toBe(true)
    const found = await twirp('GetCacheEntryDownloadURL', lookup)
    expect(found.body).toMatchObject({ ok: true, matched_key: 'blocks-1' })
    const got = await fetch(found.body.signed_download_url as string)
    expect(Buffer.from(await got.arrayBuffer()).equals(bytes)).toBe(true)
    // A finalized entry's blob is immutable; an unsigned URL is refused.
    expect((await fetch(created.body.signed_upload_url as string, { method: 'PUT', body: 'x' })).status).toBe(409)
    expect((await fetch((found.body.signed_download_url as string).replace(/sig=[^&]+/, 'sig=0'))).status).toBe(403)
  })
})

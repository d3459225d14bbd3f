// One set of tests every filesystem target passes (local, ssh): what the
// deploy policy relies on, through the Target interface alone, with the
// on-disk names taken from layout.ts. A new target kind runs it too.
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  ARCHIVE_DIR,
  CURRENT,
  isArchiveFile,
  MANIFESTS,
  RELEASES,
  SLOTS,
  STATE,
  TRAFFIC,
  buildManifest,
  emptyTraffic,
  parseTraffic,
  withChange,
  currentLinkTarget,
  emptyHistory,
  manifestName,
  parseCurrentLink,
  parseSlotLink,
  slotLinkTarget,
  slotPath,
  stagingName,
  tempName,
  type History,
  type LockInfo,
  type Target
} from '@gantry/release'
import { writeFiles } from './git-tree.js'

/** Makes a target on `base`, a directory of this machine (for ssh: the host's path, reached through sshd). */
export type MakeTarget = (base: string) => Promise<Target> | Target

export function targetConformance(kind: string, make: MakeTarget): void {
  describe(`target conformance: ${kind}`, () => {
    let root: string
    let base: string
    let t: Target

    beforeEach(async () => {
      root = mkdtempSync(join(tmpdir(), `gantry-conform-${kind}-`))
      base = join(root, 'app')
      t = await make(base)
    })

    afterEach(async () => {
      await t.close()
      rmSync(root, { recursive: true, force: true })
    })

    const source = (name: string, files: Record<string, string>) => writeFiles(join(root, name), files)

    async function release(id: string, files: Record<string, string>, linkFrom?: string) {
      const dir = source(`src-${id}`, files)
      const manifest = buildManifest(dir)
      const from = linkFrom ? { id: linkFrom, manifest: (await t.readManifest(linkFrom))! } : undefined
      return t.prepare({ id, sourceDir: dir, manifest, shared: [], ...(from ? { linkFrom: from } : {}) })
    }

    test('init makes the layout, twice without harm; an empty path has none before', async () => {
      expect(await t.hasLayout()).toBe(false)
      await t.init()
      await t.init()
      expect(await t.hasLayout()).toBe(true)
      expect(existsSync(join(base, RELEASES))).toBe(true)
      expect(existsSync(join(base, STATE))).toBe(true)
      expect(await t.listReleases()).toEqual([])
      expect(await t.current()).toBeUndefined()
    })

    test('prepare stores a verified release with its manifest; switchTo links current to it', async () => {
      await t.init()
      const r = await release('r1', { 'index.html': 'one', 'lib/a.js': 'a' })
      expect(r).toMatchObject({ files: 2, copied: 2, linked: 0 })
      expect(r.path).toBe(t.releasePath('r1'))
      expect(await t.listReleases()).toEqual(['r1'])
      expect(Object.keys((await t.readManifest('r1'))!.entries).sort()).toEqual(['index.html', 'lib', 'lib/a.js'])
      expect(await t.verify('r1', true)).toMatchObject({ ok: true, problems: [] })
      expect(await t.current()).toBeUndefined()
      await t.switchTo('r1')
      expect(await t.current()).toBe('r1')
      const link = readlinkSync(join(base, CURRENT))
      expect(link).toBe(currentLinkTarget('r1'))
      expect(parseCurrentLink(link)).toBe('r1')
      expect(readFileSync(join(base, CURRENT, 'index.html'), 'utf8')).toBe('one')
    })

    test('a second release hard-links the files whose hash matches', async () => {
      await t.init()
      await release('r1', { 'same.txt': 'same', 'changed.txt': 'v1' })
      const r = await release('r2', { 'same.txt': 'same', 'changed.txt': 'v2' }, 'r1')
      expect(r).toMatchObject({ files: 2, linked: 1, copied: 1 })
      expect(readFileSync(join(t.releasePath('r2'), 'changed.txt'), 'utf8')).toBe('v2')
      expect(readFileSync(join(t.releasePath('r1'), 'changed.txt'), 'utf8')).toBe('v1')
    })

    test('an id that exists is refused and the stored release is left as it was', async () => {
      await t.init()
      await release('r1', { 'a.txt': 'first' })
      await expect(release('r1', { 'a.txt': 'second' })).rejects.toThrow(/r1/)
      expect(readFileSync(join(t.releasePath('r1'), 'a.txt'), 'utf8')).toBe('first')
      expect(await t.verify('r1', true)).toMatchObject({ ok: true })
    })

    test('verify finds a file changed after the release was stored', async () => {
      await t.init()
      await release('r1', { 'a.txt': 'original' })
      writeFileSync(join(t.releasePath('r1'), 'a.txt'), 'tampered')
      const v = await t.verify('r1', true)
      expect(v.ok).toBe(false)
      expect(v.problems.join('\n')).toMatch(/a\.txt/)
    })

    test('switchTo a release that does not exist fails and current stays', async () => {
      await t.init()
      await release('r1', { 'a.txt': 'a' })
      await t.switchTo('r1')
      await expect(t.switchTo('nope')).rejects.toThrow(/nope/)
      expect(await t.current()).toBe('r1')
    })

    test('switchSlot links slots/<name> to a release atomically, current untouched; slot() and slots() read them back', async () => {
      await t.init()
      await release('r1', { 'index.html': 'one' })
      await release('r2', { 'index.html': 'two' })
      await t.switchTo('r1')
      expect(await t.slot('green')).toBeUndefined()
      expect(await t.slots()).toEqual({})
      await t.switchSlot('green', 'r2')
      await t.switchSlot('blue', 'r1')
      expect(await t.slot('green')).toBe('r2')
      expect(await t.slots()).toEqual({ blue: 'r1', green: 'r2' })
      const link = readlinkSync(join(base, slotPath('green')))
      expect(link).toBe(slotLinkTarget('r2'))
      expect(parseSlotLink(link)).toBe('r2')
      expect(readFileSync(join(base, slotPath('green'), 'index.html'), 'utf8')).toBe('two')
      // Relinked in place: no temp link left beside it.
      await t.switchSlot('green', 'r1')
      expect(await t.slot('green')).toBe('r1')
      expect(readdirSync(join(base, SLOTS)).sort()).toEqual(['blue', 'green'])
      expect(await t.current()).toBe('r1')
      expect(readlinkSync(join(base, CURRENT))).toBe(currentLinkTarget('r1'))
    })

    test('switchSlot to a release that does not exist fails and the slot stays; a bad slot name is refused', async () => {
      await t.init()
      await release('r1', { 'a.txt': 'a' })
      await t.switchSlot('blue', 'r1')
      await expect(t.switchSlot('blue', 'nope')).rejects.toThrow(/nope/)
      expect(await t.slot('blue')).toBe('r1')
      await expect(t.switchSlot('../current', 'r1')).rejects.toThrow(/not a slot name/)
      await expect(t.slot('idle')).rejects.toThrow(/not a slot name/)
      expect(await t.current()).toBeUndefined()
    })

    test('cleanPartials removes temp links an interrupted slot switch left in slots/', async () => {
      await t.init()
      await release('r1', { 'a.txt': 'a' })
      await t.switchSlot('green', 'r1')
      const temp = tempName('green')
      symlinkSync(slotLinkTarget('r1'), join(base, SLOTS, temp))
      const r = await t.cleanPartials()
      expect(r.partials).toEqual([`${SLOTS}/${temp}`])
      expect(readdirSync(join(base, SLOTS))).toEqual(['green'])
      expect(await t.slot('green')).toBe('r1')
    })

    test('removeRelease removes the release and its manifest, and only it', async () => {
      await t.init()
      await release('r1', { 'a.txt': 'a' })
      await release('r2', { 'a.txt': 'b' })
      await t.removeRelease('r1')
      expect((await t.listReleases()).sort()).toEqual(['r2'])
      expect(await t.readManifest('r1')).toBeUndefined()
      expect(existsSync(join(base, STATE, MANIFESTS, manifestName('r1')))).toBe(false)
      await t.removeRelease('r1')
      expect(await t.verify('r2', true)).toMatchObject({ ok: true })
    })

    test('cleanPartials removes staging, temp files and orphan manifests by the layout names, and nothing else', async () => {
      await t.init()
      await release('r1', { 'a.txt': 'a' })
      await t.switchTo('r1')
      const staging = stagingName('r2')
      mkdirSync(join(base, RELEASES, staging, 'deep'), { recursive: true })
      writeFileSync(join(base, RELEASES, staging, 'deep', 'x'), 'x')
      const temp = tempName('history.json')
      writeFileSync(join(base, STATE, temp), '{')
      writeFileSync(join(base, STATE, MANIFESTS, manifestName('ghost')), '{}')
      const r = await t.cleanPartials()
      expect([...r.partials].sort()).toEqual(
        [`${RELEASES}/${staging}`, `${STATE}/${temp}`, `${STATE}/${MANIFESTS}/${manifestName('ghost')}`].sort()
      )
      expect(r.failed ?? []).toEqual([])
      expect(await t.listReleases()).toEqual(['r1'])
      expect(await t.current()).toBe('r1')
      expect(await t.verify('r1', true)).toMatchObject({ ok: true })
      expect((await t.cleanPartials()).partials).toEqual([])
    })

    test('the lock: created once, read back, refreshed and removed only with its token', async () => {
      await t.init()
      const info = (token: string, purpose = 'deploy r1'): LockInfo => ({
        token,
        purpose,
        host: 'runner',
        pid: process.pid,
        acquiredAt: new Date().toISOString(),
        expiresAt: new Date(Date.now() + 60_000).toISOString()
      })
      expect(await t.readLock()).toBeUndefined()
      expect(await t.createLock(info('one'))).toBe(true)
      expect(await t.createLock(info('two'))).toBe(false)
      expect(await t.readLock()).toMatchObject({ token: 'one' })
      expect(await t.refreshLock(info('two', 'stolen'))).toBe(false)
      expect(await t.refreshLock(info('one', 'refreshed'))).toBe(true)
      expect(await t.readLock()).toMatchObject({ token: 'one', purpose: 'refreshed' })
      expect(await t.removeLock({ token: 'two' })).toBe(false)
      const raw = await t.readLockRaw()
      expect(raw).toContain('"one"')
      expect(await t.removeLock({ raw: `${raw}changed` })).toBe(false)
      expect(await t.removeLock({ token: 'one' })).toBe(true)
      expect(await t.readLock()).toBeUndefined()
    })

    test('history: empty at first, written and read back whole, kept aside under a new name', async () => {
      await t.init()
      expect(await t.readHistory()).toEqual(emptyHistory())
      const h: History = {
        version: 1,
        releases: [{ id: 'r1', createdAt: '2026-01-01T00:00:00.000Z', status: 'good' }],
        events: []
      }
      await t.writeHistory(h)
      expect(await t.readHistory()).toEqual(h)
      const first = await t.keepHistoryAside('history.json.corrupt-x')
      await t.writeHistory(h)
      const second = await t.keepHistoryAside('history.json.corrupt-x')
      expect(first).toBe('history.json.corrupt-x')
      expect(second).not.toBe(first)
      expect(existsSync(join(base, STATE, first))).toBe(true)
      expect(existsSync(join(base, STATE, second))).toBe(true)
      expect(await t.readHistory()).toEqual(emptyHistory())
    })

    test('history archive: each event appended once to its month file, a retry appends nothing, a torn line is ended', async () => {
      await t.init()
      const ev = (at: string, kind: 'deploy' | 'rollback' = 'deploy') => ({
        at,
        kind,
        to: `r-${at}`,
        reason: 'it\'s "odd" $(x)'
      })
      const h: History = {
        version: 1,
        releases: [],
        events: [ev('2026-10-31T23:00:00.000Z'), ev('2026-11-01T01:00:00.000Z')]
      }
      await t.writeHistory(h)
      await t.writeHistory(h)
      const dir = join(base, STATE, ARCHIVE_DIR)
      const lines = (f: string) =>
        readFileSync(join(dir, f), 'utf8')
          .split('\n')
          .filter((l) => l !== '')
      expect(readdirSync(dir).filter(isArchiveFile).sort()).toEqual(['2026-10.jsonl', '2026-11.jsonl'])
      expect(lines('2026-10.jsonl').map((l) => JSON.parse(l))).toEqual([h.events[0]])
      expect(lines('2026-11.jsonl').map((l) => JSON.parse(l))).toEqual([h.events[1]])
      // A crash mid-append: a torn line; the next write ends it and appends the new event whole.
      writeFileSync(join(dir, '2026-11.jsonl'), readFileSync(join(dir, '2026-11.jsonl'), 'utf8') + '{"at":"2026-11-0')
      h.events.push(ev('2026-11-02T00:00:00.000Z', 'rollback'))
      await t.writeHistory(h)
      await t.writeHistory(h)
      const nov = lines('2026-11.jsonl')
      expect(nov).toHaveLength(3)
      expect(JSON.parse(nov[0])).toEqual(h.events[1])
      expect(nov[1]).toBe('{"at":"2026-11-0')
      expect(JSON.parse(nov[2])).toEqual(h.events[2])
      expect(await t.readHistory()).toEqual(h)
    })

    test('state files: absent at first, written atomically and read back; a name that is not a state file is refused', async () => {
      await t.init()
      expect(await t.readState(TRAFFIC)).toBeUndefined()
      const h = withChange(emptyTraffic(), {
        at: '2026-01-01T00:00:00.000Z',
        router: 'nginx',
        upstream: 'app',
        weights: { blue: 0, green: 100 },
        previous: { blue: 100, green: 0 }
      })
      await t.writeState(TRAFFIC, JSON.stringify(h))
      expect(parseTraffic((await t.readState(TRAFFIC))!)).toEqual(h)
      expect(readFileSync(join(base, STATE, TRAFFIC), 'utf8')).toBe(JSON.stringify(h))
      await expect(t.readState('../current')).rejects.toThrow(/not a state file/)
    })

    test('activate runs argv in the release directory with the given environment and reports the exit', async () => {
      await t.init()
      await release('r1', { 'a.txt': 'a' })
      const ok = await t.activate({
        id: 'r1',
        argv: ['sh', '-c', 'pwd; echo "id=$GANTRY_RELEASE_ID"; cat a.txt'],
        env: { GANTRY_RELEASE_ID: 'r1' },
        timeoutMs: 30_000
      })
      expect(ok).toMatchObject({ code: 0, timedOut: false })
      expect(ok.output).toContain('id=r1')
      expect(ok.output).toContain(t.releasePath('r1').replace(/^.*\//, ''))
      const failed = await t.activate({ id: 'r1', argv: ['sh', '-c', 'exit 3'], env: {}, timeoutMs: 30_000 })
      expect(failed).toMatchObject({ code: 3, timedOut: false })
    })
  })
}

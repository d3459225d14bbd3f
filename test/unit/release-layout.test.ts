// The layout's names: what each target writes is what every target's
// cleanPartials() recognises, and the names older runs left on disk still are.
import { describe, expect, test } from '@jest/globals'
import {
  currentLinkTarget,
  isPartial,
  isTempName,
  manifestId,
  manifestName,
  parseCurrentLink,
  removingName,
  stagingName,
  tempName
} from '@gantry/release'

describe('layout', () => {
  test('staging and removal names are partials; temp names are temp names; neither is a release id', () => {
    for (const n of [stagingName('r1'), removingName('r1')]) {
      expect(isPartial(n)).toBe(true)
      expect(n.startsWith('.')).toBe(true)
    }
    for (const n of ['current', 'history.json', 'lock']) expect(isTempName(tempName(n))).toBe(true)
    expect(isTempName('history.json')).toBe(false)
    expect(isPartial('r1')).toBe(false)
  })

  test('names left by earlier runs are still recognised (the on-disk format is a contract)', () => {
    expect(isPartial('.partial-v2-deadbeef')).toBe(true)
    expect(isPartial('.partial-removing-r1-0badf00d')).toBe(true)
    expect(isTempName('.current.tmp-123-abcdef01')).toBe(true)
    expect(isTempName('.history.json.tmp-9-0badcafe')).toBe(true)
  })

  test('the current link round-trips, with ./ and a trailing slash accepted, anything else refused', () => {
    expect(parseCurrentLink(currentLinkTarget('20260101-120000-abc'))).toBe('20260101-120000-abc')
    expect(parseCurrentLink('./releases/r1/')).toBe('r1')
    for (const bad of ['/srv/app/releases/r1', 'releases', 'releases/r1/sub', '../releases/r1', 'r1']) {
      expect({ bad, id: parseCurrentLink(bad) }).toEqual({ bad, id: undefined })
    }
  })

  test('manifest names round-trip', () => {
    expect(manifestId(manifestName('r1'))).toBe('r1')
    expect(manifestId('notes.txt')).toBeUndefined()
  })
})

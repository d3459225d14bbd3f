// Slack's mrkdwn fields are cut at their limits; a cut never splits a link or an escape.
import { describe, expect, test } from '@jest/globals'
import { clipMrkdwn } from '../../packages/notify/src/channels/slack.js'

describe('clipMrkdwn', () => {
  test('a cut inside <url|label> moves to before the link', () => {
    const link = '<https://example.com/runs/123|run 123>'
    const s = `${'x'.repeat(1990)} ${link} tail`
    const out = clipMrkdwn(s, 2000)
    expect(out.length).toBeLessThanOrEqual(2000)
    expect(out).toBe(`${'x'.repeat(1990)} …`)
  })
  test('a cut inside &amp; moves to before it; whole links and short text are kept', () => {
    expect(clipMrkdwn(`${'y'.repeat(8)}&amp;rest`, 11)).toBe(`${'y'.repeat(8)}…`)
    expect(clipMrkdwn(`<https://a|b> and more text`, 18)).toBe('<https://a|b> and…')
    expect(clipMrkdwn('short', 2000)).toBe('short')
  })
})

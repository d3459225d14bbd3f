// The four keys on hand-built histories with known answers (docs/insights.md's definitions).
import { describe, expect, test } from '@jest/globals'
import { insights, lowest, type Commit, type HostRecord } from '@gantry/insights'
import type { HistoryEvent, ReleaseRecord, TrafficChange } from '@gantry/release'

const DAY = 86_400_000
const HOUR = 3_600_000
const NOW = new Date('2026-11-30T00:00:00.000Z')
const at = (daysAgo: number, hours = 0) => new Date(NOW.getTime() - daysAgo * DAY + hours * HOUR).toISOString()

const rec = (id: string, sha: string, extra: Partial<ReleaseRecord> = {}): ReleaseRecord => ({
  id,
  createdAt: at(40),
  status: 'good',
  sha,
  ...extra
})
const deploy = (when: string, to: string, from?: string): HistoryEvent => ({ at: when, kind: 'deploy', to, from })
const rollback = (when: string, from: string, to: string, reason: string): HistoryEvent => ({
  at: when,
  kind: 'rollback',
  from,
  to,
  reason,
  actor: 'ops'
})
const host = (
  name: string,
  releases: ReleaseRecord[],
  events: HistoryEvent[],
  traffic: TrafficChange[] = []
): HostRecord => ({
  name,
  releases,
  events,
  traffic
})
const run = (hosts: HostRecord[], commits?: Record<string, Commit[]>) =>
  insights([{ name: 'production', hosts }], {
    windowMs: 30 * DAY,
    now: NOW,
    commits: commits && ((sha) => commits[sha])
  })

describe('insights: the four keys', () => {
  test('a window with no deployments: frequency 0, the rest n/a, level low', () => {
    const r = run([host('h', [rec('r1', 'a')], [deploy(at(60), 'r1')])])
    expect(r.keys).toEqual({
      deployments: 0,
      deploymentFrequency: 0,
      levels: { deploymentFrequency: 'low' },
      level: 'low'
    })
    expect(r.weeks.every((w) => w.deployments === 0)).toBe(true)
  })

  test('an environment with one deploy: 1/30 a day, no failures, lead time from its commit, no restore', () => {
    const r = run([host('h', [rec('r1', 'a')], [deploy(at(2), 'r1')])], { a: [{ sha: 'a', at: at(2, -3) }] })
    expect(r.keys.deployments).toBe(1)
    expect(r.keys.deploymentFrequency).toBeCloseTo(1 / 30)
    expect(r.keys.leadTime).toBe(3 * HOUR)
    expect(r.keys.changeFailureRate).toBe(0)
    expect(r.keys.timeToRestore).toBeUndefined()
    expect(r.keys.levels).toEqual({ deploymentFrequency: 'medium', leadTime: 'elite', changeFailureRate: 'elite' })
    expect(r.keys.level).toBe('medium')
  })

  test('commit times unknown: lead time n/a, never 0', () => {
    const r = run([host('h', [rec('r1', 'a')], [deploy(at(2), 'r1')])])
    expect(r.keys.leadTime).toBeUndefined()
    expect(r.keys.levels.leadTime).toBeUndefined()
  })

  test('a redeploy of the same sha: a deployment, shipping no new commit', () => {
    const r = run(
      [
        host(
          'h',
          [rec('r1', 'a'), rec('r2', 'a', { previousSha: 'a' })],
          [deploy(at(5), 'r1'), deploy(at(1), 'r2', 'r1')]
        )
      ],
      // git log a..a is empty; the lookup of a first deploy is the commit itself.
      { a: [{ sha: 'a', at: at(5, -2) }] }
    )
    expect(r.keys.deployments).toBe(2)
    expect(r.deployments.map((d) => d.leads)).toEqual([[2 * HOUR], []])
    expect(r.keys.leadTime).toBe(2 * HOUR)
  })

  test('a rollback: the rolled-back release failed; restore = rollback − its activation; the target was never bad and is no deployment', () => {
    const r = run([
      host(
        'h',
        [rec('r1', 'a'), rec('r2', 'b'), rec('r3', 'c')],
        [
          deploy(at(10), 'r1'),
          deploy(at(3), 'r2', 'r1'),
          rollback(at(3, 2), 'r2', 'r1', 'error rate 12% <script>'),
          deploy(at(1), 'r3', 'r1')
        ]
      )
    ])
    expect(r.deployments.map((d) => [d.deployment.release, d.deployment.failed])).toEqual([
      ['r1', false],
      ['r2', true],
      ['r3', false]
    ])
    expect(r.deployments[1].deployment).toMatchObject({
      reason: 'error rate 12% <script>',
      actor: 'ops',
      restoredTo: 'r1',
      restoredAt: at(3, 2)
    })
    expect(r.keys.changeFailureRate).toBeCloseTo(1 / 3)
    expect(r.keys.timeToRestore).toBe(2 * HOUR)
    expect(r.keys.levels.timeToRestore).toBe('high')
    expect(r.keys.level).toBe('low')
  })

  test('marked bad without a rollback: failed; restored by the next release (roll forward)', () => {
    const r = run([
      host(
        'h',
        [rec('r1', 'a', { status: 'bad', bad: { reason: 'slow', at: at(4, 1) } }), rec('r2', 'b')],
        [
          deploy(at(4), 'r1'),
          { at: at(4, 1), kind: 'mark-bad', from: 'r1', reason: 'slow' },
          deploy(at(4, 5), 'r2', 'r1')
        ]
      )
    ])
    expect(r.keys.changeFailureRate).toBe(0.5)
    expect(r.keys.timeToRestore).toBe(5 * HOUR)
    expect(r.deployments[0].deployment.reason).toBe('slow')
  })

  test('several hosts: one deployment per release id, activated when the last host switched, restored when the last left', () => {
    const events = (skew: number): HistoryEvent[] => [
      deploy(at(6, skew), 'r1'),
      deploy(at(2, skew), 'r2', 'r1'),
      rollback(at(2, 1 + skew), 'r2', 'r1', 'bad')
    ]
    const rs = [rec('r1', 'a'), rec('r2', 'b', { previousSha: 'a' })]
    const r = run([host('web1', rs, events(0)), host('web2', rs, events(0.5))], {
      b: [{ sha: 'b', at: at(2, -1) }]
    })
    expect(r.keys.deployments).toBe(2)
    expect(r.deployments[1].deployment.activatedAt).toBe(at(2, 0.5))
    expect(r.keys.changeFailureRate).toBe(0.5)
    expect(r.keys.timeToRestore).toBe(HOUR)
    expect(r.keys.leadTime).toBe(1.5 * HOUR)
  })

  test('commits after a rollback count once, for the release that first shipped them', () => {
    const r = run(
      [
        host(
          'h',
          [rec('r1', 'a'), rec('r2', 'b', { previousSha: 'a' }), rec('r3', 'c', { previousSha: 'a' })],
          [
            deploy(at(5), 'r1'),
            deploy(at(4), 'r2', 'r1'),
            rollback(at(4, 1), 'r2', 'r1', 'x'),
            deploy(at(3), 'r3', 'r1')
          ]
        )
      ],
      {
        a: [{ sha: 'a', at: at(5, -1) }],
        b: [{ sha: 'b', at: at(4, -1) }],
        c: [
          { sha: 'c', at: at(3, -1) },
          { sha: 'b', at: at(4, -1) }
        ]
      }
    )
    expect(r.deployments.map((d) => d.leads)).toEqual([[HOUR], [HOUR], [HOUR]])
  })

  test('blue-green: a slot reaching 100% in traffic.json is the deployment; a traffic rollback restores', () => {
    const slotDeploy = (when: string, to: string, slot: string): HistoryEvent => ({
      at: when,
      kind: 'deploy',
      to,
      slot
    })
    const move = (when: string, weights: Record<string, number>, reason?: string): TrafficChange => ({
      at: when,
      router: 'nginx',
      upstream: 'app',
      weights,
      previous: {},
      ...(reason ? { reason } : {})
    })
    const r = run([
      host(
        'h',
        [rec('r1', 'a'), rec('r2', 'b')],
        [slotDeploy(at(6), 'r1', 'blue'), slotDeploy(at(3), 'r2', 'green')],
        [
          move(at(6, 1), { blue: 100, green: 0 }, 'blue-green'),
          move(at(3, 1), { blue: 50, green: 50 }),
          move(at(3, 2), { blue: 0, green: 100 }, 'blue-green'),
          move(at(3, 2.25), { blue: 100, green: 0 }, 'rollback of slot green: 5xx')
        ]
      )
    ])
    expect(r.deployments.map((d) => [d.deployment.release, d.deployment.activatedAt, d.deployment.failed])).toEqual([
      ['r1', at(6, 1), false],
      ['r2', at(3, 2), true]
    ])
    expect(r.keys.timeToRestore).toBe(0.25 * HOUR)
    expect(r.deployments[1].deployment.reason).toBe('rollback of slot green: 5xx')
  })

  test('weeks: deploys and failures per week over the window', () => {
    const r = run([host('h', [rec('r1', 'a'), rec('r2', 'b')], [deploy(at(9), 'r1'), deploy(at(1), 'r2', 'r1')])])
    expect(r.weeks.reduce((n, w) => n + w.deployments, 0)).toBe(2)
    expect(r.weeks.length).toBeGreaterThanOrEqual(5)
  })

  test('the overall level is the lowest of the known ones', () => {
    expect(lowest(['elite', undefined, 'medium', 'high'])).toBe('medium')
    expect(lowest([undefined])).toBe('n/a')
  })
})

// The canary action's bundle with router: haproxy, against HAProxy from Debian on 127.0.0.1
// (runtime API on a unix socket, a server-state-file) in front of two real app instances, under
// autocannon load: the scenarios of test/helpers/canary-system.ts. HAProxy's weight changes touch
// no connection, so the load may see no failure at all.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { askSocket, parseServersState, stateWeights } from '@gantry/traffic'
import { canaryScenarios } from '../helpers/canary-system.js'
import { resets, startHaproxy } from '../helpers/traffic.js'

canaryScenarios('haproxy', async (root, blue, green) => {
  const dir = join(root, 'haproxy')
  mkdirSync(dir)
  // The baseline serves everything before the canary starts.
  const haproxy = await startHaproxy(dir, [
    { name: 'blue', address: blue.address, weight: 100 },
    { name: 'green', address: green.address, weight: 0 }
  ])
  const servers = [
    { name: 'blue', address: 'blue' },
    { name: 'green', address: 'green' }
  ]
  return {
    url: haproxy.url,
    inputs: {
      router: 'haproxy',
      upstream: 'app',
      servers: 'blue=blue\ngreen=green',
      'router-socket': haproxy.socket,
      'router-state-file': haproxy.stateFile
    },
    weights: async () =>
      stateWeights(
        parseServersState(await askSocket({ kind: 'unix', path: haproxy.socket }, 'show servers state app', 5000)),
        'app',
        servers
      ),
    failures: (l) => ({ non2xx: l.non2xx, errors: l.errors, timeouts: l.timeouts, resets: resets(l) }),
    stop: () => haproxy.stop()
  }
})

// The canary action's bundle with router: nginx, against nginx from Debian on 127.0.0.1 (its own
// prefix; the upstream in an include the action owns) in front of two real app instances, under
// autocannon load: the scenarios of test/helpers/canary-system.ts. What traffic allows nginx
// during a change: no non-2xx response and no timeout; connection resets are nginx's own reload
// racing keep-alive reuse (actions/traffic/README.md), counted in the log, not failed on.
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { blockWeights, parseUpstream, renderUpstream } from '@gantry/traffic'
import { canaryScenarios } from '../helpers/canary-system.js'
import { startNginx } from '../helpers/nginx.js'

canaryScenarios('nginx', async (root, blue, green) => {
  const include = join(root, 'gantry-app.conf')
  const servers = [
    { name: 'blue', address: blue.address },
    { name: 'green', address: green.address }
  ]
  // The include must exist for nginx to start; from then on the action owns it. The baseline serves everything.
  writeFileSync(include, renderUpstream('app', servers, { blue: 100, green: 0 }, ['keepalive 16;']))
  const nginx = await startNginx(
    `location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; }`,
    { http: `include ${include};` }
  )
  return {
    url: nginx.url,
    inputs: {
      router: 'nginx',
      upstream: 'app',
      servers: `blue=${blue.address}\ngreen=${green.address}`,
      'router-config': include,
      'router-args': `-p ${nginx.prefix} -c ${nginx.conf}`
    },
    weights: async () => blockWeights(parseUpstream(readFileSync(include, 'utf8'), 'app')!, servers),
    failures: (l) => ({ non2xx: l.non2xx, timeouts: l.timeouts }),
    stop: async () => {
      await nginx.stop()
      rmSync(nginx.prefix, { recursive: true, force: true })
    }
  }
})

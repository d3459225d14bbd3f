/**
 * What smoke-test's bundle has in place of undici (tsconfig.json maps the
 * import here). @actions/core imports @actions/http-client for getIDToken,
 * which imports undici's ProxyAgent for getAgentDispatcher; smoke-test calls
 * neither, but the import alone put ~950 KB of undici into the bundle, which
 * cost ~6 MiB of peak memory (actions/toolkit#1621, #1697). smoke-test's own
 * requests go through node:http (packages/probe/src/node-client.ts).
 *
 * While nothing in smoke-test uses http-client's HttpClient, webpack drops this
 * module too: the `new ProxyAgent(` left in dist/ is in HttpClient's unused
 * getAgentDispatcher. Code that came to use it would bundle this class, and fail here.
 */
export class ProxyAgent {
  constructor() {
    throw new Error('smoke-test is bundled without undici: @actions/http-client proxy dispatchers are not available')
  }
}

export const id = 688;
export const ids = [688];
export const modules = {

/***/ 6688:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  ADAPTIVE_CARD_CONTENT_TYPE: () => (/* reexport */ ADAPTIVE_CARD_CONTENT_TYPE),
  ADAPTIVE_CARD_VERSION: () => (/* reexport */ ADAPTIVE_CARD_VERSION),
  ADDRESSES_FORM: () => (/* reexport */ ADDRESSES_FORM),
  DESCRIPTION_LIMIT: () => (/* reexport */ DESCRIPTION_LIMIT),
  DISCORD_LIMITS: () => (/* reexport */ DISCORD_LIMITS),
  DeliveryError: () => (/* reexport */ DeliveryError),
  DeliveryFailed: () => (/* reexport */ DeliveryFailed),
  FALLBACK_ID_DOMAIN: () => (/* reexport */ FALLBACK_ID_DOMAIN),
  GitHubDeployments: () => (/* reexport */ GitHubDeployments),
  SLACK_LIMITS: () => (/* reexport */ SLACK_LIMITS),
  SMTP_URL_FORM: () => (/* reexport */ SMTP_URL_FORM),
  STATUSES: () => (/* reexport */ STATUSES),
  adaptiveCard: () => (/* reexport */ adaptiveCard),
  brief: () => (/* reexport */ brief),
  buildMessage: () => (/* reexport */ buildMessage),
  channelKind: () => (/* reexport */ channelKind),
  channelRegistry: () => (/* reexport */ channelRegistry),
  checkChannels: () => (/* reexport */ checkChannels),
  clip: () => (/* reexport */ message_clip),
  clipMrkdwn: () => (/* reexport */ clipMrkdwn),
  contextFromEnv: () => (/* reexport */ contextFromEnv),
  createDeployment: () => (/* reexport */ createDeployment),
  createDeploymentStatus: () => (/* reexport */ createDeploymentStatus),
  defaultPolicy: () => (/* reexport */ defaultPolicy),
  deliver: () => (/* reexport */ deliver),
  deploymentStateFor: () => (/* reexport */ deploymentStateFor),
  discordKind: () => (/* reexport */ discordKind),
  discordPayload: () => (/* reexport */ discordPayload),
  discordWebhook: () => (/* reexport */ discordWebhook),
  durationSinceStarted: () => (/* reexport */ durationSinceStarted),
  emailChannel: () => (/* reexport */ emailChannel),
  emailHtml: () => (/* reexport */ emailHtml),
  emailKind: () => (/* reexport */ emailKind),
  emailText: () => (/* reexport */ emailText),
  embedSize: () => (/* reexport */ embedSize),
  escapeHtml: () => (/* reexport */ escapeHtml),
  escapeMrkdwn: () => (/* reexport */ escapeMrkdwn),
  formatDuration: () => (/* reexport */ formatDuration),
  genericWebhook: () => (/* reexport */ genericWebhook),
  githubDeploymentStatus: () => (/* reexport */ githubDeploymentStatus),
  githubKind: () => (/* reexport */ githubKind),
  httpError: () => (/* reexport */ httpError),
  idDomain: () => (/* reexport */ idDomain),
  isAddress: () => (/* reexport */ isAddress),
  makeChannels: () => (/* reexport */ makeChannels),
  markRolledBack: () => (/* reexport */ markRolledBack),
  markStarted: () => (/* reexport */ markStarted),
  maskChannelSecrets: () => (/* reexport */ maskChannelSecrets),
  maskUrlTokens: () => (/* reexport */ maskUrlTokens),
  messageId: () => (/* reexport */ messageId),
  notifyAll: () => (/* reexport */ notifyAll),
  notifySummary: () => (/* reexport */ notifySummary),
  parseAddresses: () => (/* reexport */ parseAddresses),
  parseRetryAfter: () => (/* reexport */ parseRetryAfter),
  parseSmtpUrl: () => (/* reexport */ parseSmtpUrl),
  postJson: () => (/* reexport */ postJson),
  runUrl: () => (/* reexport */ runUrl),
  senderFor: () => (/* reexport */ senderFor),
  sentOutput: () => (/* reexport */ sentOutput),
  sign: () => (/* reexport */ sign),
  slackApi: () => (/* reexport */ slackApi),
  slackApiBase: () => (/* reexport */ slackApiBase),
  slackKind: () => (/* reexport */ slackKind),
  slackPayload: () => (/* reexport */ slackPayload),
  slackWebhook: () => (/* reexport */ slackWebhook),
  smtpDeliveryError: () => (/* reexport */ smtpDeliveryError),
  startDeploymentRun: () => (/* reexport */ startDeploymentRun),
  startedMessageId: () => (/* reexport */ startedMessageId),
  teamsKind: () => (/* reexport */ teamsKind),
  teamsPayload: () => (/* reexport */ teamsPayload),
  teamsWebhook: () => (/* reexport */ teamsWebhook),
  threadHash: () => (/* reexport */ threadHash),
  threadHeaders: () => (/* reexport */ threadHeaders),
  webhookBody: () => (/* reexport */ webhookBody),
  webhookKind: () => (/* reexport */ webhookKind),
  webhookUrl: () => (/* reexport */ webhookUrl)
});

// EXTERNAL MODULE: ../../packages/core/src/index.ts + 15 modules
var src = __webpack_require__(5260);
;// CONCATENATED MODULE: ../../packages/notify/src/delivery.ts
/**
 * Delivery policy shared by every channel: a bound on each request, retries
 * with exponential backoff and jitter (retry() from core), and `429` +
 * `Retry-After` honoured \u2014 but only up to a bound, because a step that waits
 * for minutes on a chat service delays the deploy it reports on.
 */

const defaultPolicy = {
    timeoutMs: 10_000,
    retries: 3,
    minDelayMs: 500,
    maxDelayMs: 8_000,
    maxRetryAfterMs: 30_000
};
/** A failed attempt, saying whether another one may help and when. */
class DeliveryError extends Error {
    retryable;
    status;
    retryAfterMs;
    name = 'DeliveryError';
    constructor(message, retryable, 
    /** Set for HTTP failures. */
    status, 
    /** What the server asked for (Retry-After), ms. */
    retryAfterMs) {
        super(message);
        this.retryable = retryable;
        this.status = status;
        this.retryAfterMs = retryAfterMs;
    }
}
/** Thrown when every attempt failed: the last error plus how many attempts were made. */
class DeliveryFailed extends Error {
    attempts;
    name = 'DeliveryFailed';
    constructor(message, attempts) {
        super(message);
        this.attempts = attempts;
    }
}
/**
 * Runs `attempt` under the policy. A 429 whose Retry-After is within the
 * bound is waited out exactly (jitter would only risk arriving early); one
 * beyond the bound ends the retries with a message that says so.
 */
async function deliver(attempt, policy, onRetry) {
    let attempts = 0;
    try {
        const value = await (0,src/* retry */.L5)(async (n) => {
            attempts = n + 1;
            return attempt(n);
        }, {
            retries: policy.retries,
            minDelay: policy.minDelayMs,
            maxDelay: Math.max(policy.maxDelayMs, policy.maxRetryAfterMs),
            jitter: 'equal',
            random: policy.random,
            // Always a number: the server's Retry-After, or our own backoff with
            // its own (smaller) cap, so one maxDelay need not serve both.
            retryable: (e, n) => {
                if (!(e instanceof DeliveryError) || !e.retryable)
                    return false;
                if (e.retryAfterMs !== undefined) {
                    if (e.retryAfterMs > policy.maxRetryAfterMs)
                        return false;
                    return e.retryAfterMs;
                }
                return (0,src/* backoffDelay */.EY)(n, {
                    retries: policy.retries,
                    minDelay: policy.minDelayMs,
                    maxDelay: policy.maxDelayMs,
                    jitter: 'equal',
                    random: policy.random
                });
            },
            onRetry: (e, n, delay) => onRetry?.(e, n, delay)
        });
        return { value, attempts };
    }
    catch (e) {
        let message = e instanceof Error ? e.message : String(e);
        if (e instanceof DeliveryError && e.retryAfterMs !== undefined && e.retryAfterMs > policy.maxRetryAfterMs) {
            message += ` (Retry-After ${Math.ceil(e.retryAfterMs / 1000)} s exceeds the ${Math.round(policy.maxRetryAfterMs / 1000)} s bound)`;
        }
        else if (attempts > 1) {
            message += ` (after ${attempts} attempts)`;
        }
        throw new DeliveryFailed(message, attempts);
    }
}
/** Retry-After is either delta-seconds or an HTTP date (RFC 9110 \u00a710.2.3). */
function parseRetryAfter(value, now = Date.now()) {
    if (!value)
        return undefined;
    const v = value.trim();
    if (/^\d+(\.\d+)?$/.test(v))
        return Math.round(Number(v) * 1000);
    const t = Date.parse(v);
    if (Number.isNaN(t))
        return undefined;
    return Math.max(0, t - now);
}
/** The classification every HTTP channel shares: 429 and 5xx retry, other 4xx do not. */
function httpError(status, detail, retryAfter) {
    const text = detail ? `HTTP ${status}: ${detail}` : `HTTP ${status}`;
    if (status === 429)
        return new DeliveryError(text, true, status, parseRetryAfter(retryAfter) ?? undefined);
    return new DeliveryError(text, status >= 500 || status === 408, status);
}

// EXTERNAL MODULE: ../../node_modules/@actions/github/lib/github.js + 22 modules
var github = __webpack_require__(1329);
;// CONCATENATED MODULE: ../../packages/notify/src/github-deployments.ts
/**
 * GitHub deployments and deployment statuses, shared by notify, deploy-atomic
 * and auto-rollback. Built on @actions/github's Octokit with the API base from
 * GITHUB_API_URL (GHES and tests point it elsewhere), each request bounded in
 * time and retried on 429/5xx/network failures like every other channel.
 *
 * Peers got the URLs mixed up (chrnorm/deployment-action) and `auto_inactive`
 * silently ignored (bobheadxi/deployments): here `environment_url` is the
 * deployed app, `log_url` is always the workflow run, and `auto_inactive` is
 * sent explicitly on every status.
 */


/**
 * How a pipeline status shows on a deployment:
 * - started \u2192 in_progress
 * - success \u2192 success
 * - failure \u2192 failure
 * - cancelled \u2192 inactive: the run was stopped, not broken; the previous release
 *   keeps serving, so this deployment is retired rather than marked red
 *   (`error` would claim something went wrong with the deployment itself)
 * - rolled-back \u2192 failure: the release was taken back, never a success
 */
function deploymentStateFor(status) {
    switch (status) {
        case 'started':
            return 'in_progress';
        case 'success':
            return 'success';
        case 'failure':
        case 'rolled-back':
            return 'failure';
        case 'cancelled':
            return 'inactive';
    }
}
/** The workflow run's URL: GITHUB_SERVER_URL/GITHUB_REPOSITORY/actions/runs/GITHUB_RUN_ID. */
function runUrl(env = process.env) {
    const server = env.GITHUB_SERVER_URL || 'https://github.com';
    if (!env.GITHUB_REPOSITORY || !env.GITHUB_RUN_ID)
        return undefined;
    const attempt = env.GITHUB_RUN_ATTEMPT && env.GITHUB_RUN_ATTEMPT !== '1' ? `/attempts/${env.GITHUB_RUN_ATTEMPT}` : '';
    return `${server}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}${attempt}`;
}
/** GitHub limits a deployment status description to 140 characters. */
const DESCRIPTION_LIMIT = 140;
function clip(s, n) {
    if (s === undefined)
        return undefined;
    return s.length > n ? `${s.slice(0, n - 1)}\u2026` : s;
}
function split(repository) {
    const full = repository ?? process.env.GITHUB_REPOSITORY ?? '';
    const [owner, repo, extra] = full.split('/');
    if (!owner || !repo || extra !== undefined) {
        throw new Error(`GitHub repository '${full}' is not of the form owner/name (GITHUB_REPOSITORY unset?)`);
    }
    return { owner, repo };
}
/** Turns an Octokit failure into a DeliveryError with the retry verdict. */
function classify(e) {
    const err = e;
    if (typeof err.status === 'number' && err.status > 0) {
        const data = err.response?.data;
        const detail = data?.message ?? err.message ?? '';
        const headers = err.response?.headers ?? {};
        // GitHub's secondary rate limits answer 403 with Retry-After (or x-ratelimit-remaining: 0).
        const limited = err.status === 429 || (err.status === 403 && (headers['retry-after'] || headers['x-ratelimit-remaining'] === '0'));
        const retryAfter = headers['retry-after'];
        const ms = retryAfter && /^\d+$/.test(retryAfter) ? Number(retryAfter) * 1000 : undefined;
        return new DeliveryError(`HTTP ${err.status}: ${detail}`, Boolean(limited) || err.status >= 500, err.status, limited ? ms : undefined);
    }
    return new DeliveryError(err.message ?? String(e), true);
}
/** A small client so callers need not know Octokit. */
class GitHubDeployments {
    octokit;
    owner;
    repo;
    policy;
    onRetry;
    constructor(options) {
        if (!options.token)
            throw new Error('a GitHub token is required for deployments');
        ({ owner: this.owner, repo: this.repo } = split(options.repository));
        this.octokit = (0,github/* getOctokit */.Q)(options.token, {
            baseUrl: (options.baseUrl ?? process.env.GITHUB_API_URL ?? 'https://api.github.com').replace(/\/+$/, ''),
            userAgent: 'gantry'
        });
        this.policy = { ...defaultPolicy, ...options.policy };
        this.onRetry = options.onRetry;
    }
    async call(what, fn) {
        return deliver(async () => {
            const signal = AbortSignal.timeout(this.policy.timeoutMs);
            try {
                return await fn(signal);
            }
            catch (e) {
                // Octokit reports an aborted fetch as a status-500 error: ask the signal instead.
                if (signal.aborted)
                    throw new DeliveryError(`timed out after ${this.policy.timeoutMs} ms`, true);
                throw classify(e);
            }
        }, this.policy, (e, n, delay) => this.onRetry?.(`${what}: ${e.message}`, n, delay)).catch((e) => {
            if (e instanceof DeliveryFailed)
                throw new DeliveryFailed(`${what}: ${e.message}`, e.attempts);
            throw e;
        });
    }
    /** POST /repos/{owner}/{repo}/deployments \u2014 never auto-merges, requires no status checks. */
    async createDeployment(p) {
        const production = p.production ?? /^prod(uction)?$/i.test(p.environment);
        const { value, attempts } = await this.call('create deployment', (signal) => this.octokit.rest.repos.createDeployment({
            owner: this.owner,
            repo: this.repo,
            ref: p.ref ?? process.env.GITHUB_SHA ?? 'HEAD',
            environment: p.environment,
            description: clip(p.description, DESCRIPTION_LIMIT),
            // The pipeline has already tested this commit; merging the default
            // branch in or waiting for checks is not what a deploy step wants.
            auto_merge: false,
            required_contexts: [],
            production_environment: production,
            transient_environment: p.transient ?? false,
            payload: p.payload ?? {},
            task: p.task ?? 'deploy',
            request: { signal }
        }));
        if (value.status !== 201 || !('id' in value.data)) {
            throw new Error(`create deployment: GitHub answered ${value.status} without a deployment`);
        }
        const d = value.data;
        return { id: d.id, url: d.url, environment: d.environment, ref: d.ref, sha: d.sha, attempts };
    }
    /** POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses */
    async createDeploymentStatus(p) {
        const { value, attempts } = await this.call('create deployment status', (signal) => this.octokit.rest.repos.createDeploymentStatus({
            owner: this.owner,
            repo: this.repo,
            deployment_id: p.deploymentId,
            state: p.state,
            ...(p.environmentUrl ? { environment_url: p.environmentUrl } : {}),
            log_url: p.logUrl ?? runUrl() ?? '',
            description: clip(p.description, DESCRIPTION_LIMIT) ?? '',
            ...(p.environment ? { environment: p.environment } : {}),
            auto_inactive: p.autoInactive ?? true,
            request: { signal }
        }));
        return { id: value.data.id, state: value.data.state, url: value.data.url, attempts };
    }
}
/** One-shot helpers for callers that make a single call. */
async function createDeployment(options, params) {
    return new GitHubDeployments(options).createDeployment(params);
}
async function createDeploymentStatus(options, params) {
    return new GitHubDeployments(options).createDeploymentStatus(params);
}

;// CONCATENATED MODULE: ../../packages/notify/src/deployment-run.ts
/**
 * A GitHub deployment through one deploy: created in_progress before the
 * release is written, then failure or success. Once the release is live a
 * GitHub API failure is a warning, never a reason to fail (and so roll back)
 * the deploy; a failure status that cannot be written is a warning too.
 */


async function startDeploymentRun(o) {
    const gh = new GitHubDeployments({ token: o.token });
    const deployment = await gh.createDeployment({
        environment: o.environment,
        description: `gantry deploy-atomic${o.releaseId ? ` ${o.releaseId}` : ''}`,
        payload: { tool: 'gantry', ...(o.releaseId ? { releaseId: o.releaseId } : {}) }
    });
    o.info(`GitHub deployment ${deployment.id} (${o.environment})`);
    await gh.createDeploymentStatus({
        deploymentId: deployment.id,
        state: 'in_progress',
        description: 'deploying',
        autoInactive: false
    });
    const warned = (e) => o.warn(`GitHub deployment status: ${(0,src/* errorMessage */.gJ)(e)}`);
    return {
        id: deployment.id,
        url: deployment.url,
        failed: async (message) => {
            await gh
                .createDeploymentStatus({ deploymentId: deployment.id, state: 'failure', description: message })
                .then(() => undefined, warned);
        },
        live: async (releaseId, environment) => {
            await gh
                .createDeploymentStatus({
                deploymentId: deployment.id,
                state: 'success',
                description: `release ${releaseId} is live`,
                environment,
                logUrl: runUrl()
            })
                .then(() => undefined, warned);
        }
    };
}
/** After a rollback: the deployment that was left behind is marked failed; a failure to do so is a warning. */
async function markRolledBack(o) {
    try {
        const s = await new GitHubDeployments({ token: o.token }).createDeploymentStatus({
            deploymentId: o.deploymentId,
            state: 'failure',
            description: `rolled back to ${o.to}: ${o.reason}`
        });
        return { id: o.deploymentId, status: s.state, url: s.url };
    }
    catch (e) {
        o.warn(`GitHub deployment ${o.deploymentId}: could not mark it failed: ${(0,src/* errorMessage */.gJ)(e)}`);
        return { id: o.deploymentId, error: (0,src/* errorMessage */.gJ)(e) };
    }
}

;// CONCATENATED MODULE: ../../packages/notify/src/message.ts
/**
 * One message, built once from `status` and the GitHub context, then rendered
 * by each channel: the same facts everywhere, colour and emoji by status.
 */

const STATUSES = [
    'started',
    'success',
    'failure',
    'cancelled',
    'rolled-back'
];
const LOOK = {
    started: { emoji: '\ud83d\ude80', color: '#1f6feb', teamsColor: 'Accent' },
    success: { emoji: '\u2705', color: '#1a7f37', teamsColor: 'Good' },
    failure: { emoji: '\u274c', color: '#cf222e', teamsColor: 'Attention' },
    cancelled: { emoji: '\u26aa', color: '#6e7781', teamsColor: 'Default' },
    'rolled-back': { emoji: '\u21a9\ufe0f', color: '#bf8700', teamsColor: 'Warning' }
};
/** The facts GitHub gives every step, read from the runner's variables. */
function contextFromEnv(env = process.env) {
    const server = (env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, '');
    const repository = env.GITHUB_REPOSITORY || undefined;
    const sha = env.GITHUB_SHA || undefined;
    return {
        repository,
        // On pull_request events GITHUB_REF_NAME is `42/merge`; the branch is more useful.
        ref: env.GITHUB_HEAD_REF || env.GITHUB_REF_NAME || undefined,
        sha,
        actor: env.GITHUB_TRIGGERING_ACTOR || env.GITHUB_ACTOR || undefined,
        workflow: env.GITHUB_WORKFLOW || undefined,
        runNumber: env.GITHUB_RUN_NUMBER || undefined,
        runId: env.GITHUB_RUN_ID || undefined,
        runAttempt: env.GITHUB_RUN_ATTEMPT || undefined,
        runUrl: runUrl(env),
        commitUrl: repository && sha ? `${server}/${repository}/commit/${sha}` : undefined
    };
}
function formatDuration(ms) {
    const s = Math.round(ms / 1000);
    if (s < 60)
        return `${s}s`;
    const m = Math.floor(s / 60);
    if (m < 60)
        return `${m}m ${s % 60}s`;
    return `${Math.floor(m / 60)}h ${m % 60}m`;
}
function defaultTitle(status, c) {
    const what = c.repository ?? 'the deployment';
    const where = c.environment ? ` to ${c.environment}` : '';
    const on = c.environment ? ` on ${c.environment}` : '';
    switch (status) {
        case 'started':
            return `Deploying ${what}${where}`;
        case 'success':
            return `Deployed ${what}${where}`;
        case 'failure':
            return `Deployment of ${what}${where} failed`;
        case 'cancelled':
            return `Deployment of ${what}${where} cancelled`;
        case 'rolled-back':
            return `Rolled back ${what}${on}`;
    }
}
function defaultText(status, c) {
    const sha7 = c.sha?.slice(0, 7);
    const what = c.releaseId ? `release ${c.releaseId}` : sha7 ? `${c.ref ? `${c.ref}@` : ''}${sha7}` : 'this commit';
    const by = c.actor ? ` by ${c.actor}` : '';
    const took = c.durationMs !== undefined ? ` after ${formatDuration(c.durationMs)}` : '';
    switch (status) {
        case 'started':
            return `Deployment of ${what} started${by}.`;
        case 'success':
            return `${cap(what)} is live${took}.`;
        case 'failure':
            return `Deployment of ${what} failed${took}.`;
        case 'cancelled':
            return `Deployment of ${what} was cancelled${took}.`;
        case 'rolled-back':
            return `${cap(what)} was rolled back${took}: it is no longer serving.`;
    }
}
function cap(s) {
    return s.charAt(0).toUpperCase() + s.slice(1);
}
function buildMessage(input, base = contextFromEnv(), now = new Date()) {
    const c = {
        ...base,
        environment: input.environment,
        releaseId: input.releaseId,
        environmentUrl: input.environmentUrl,
        durationMs: input.durationMs
    };
    const look = LOOK[input.status];
    const facts = [];
    const add = (label, value, url) => {
        if (value)
            facts.push(url ? { label, value, url } : { label, value });
    };
    add('Status', `${look.emoji} ${input.status}`);
    add('Repository', c.repository);
    add('Environment', c.environment, c.environmentUrl);
    add('Release', c.releaseId);
    add('Ref', c.ref);
    add('Commit', c.sha?.slice(0, 7), c.commitUrl);
    add('Actor', c.actor);
    add('Duration', c.durationMs !== undefined ? formatDuration(c.durationMs) : undefined);
    add('Run', c.runUrl ? `${c.workflow ?? 'workflow'} #${c.runNumber ?? '?'}` : undefined, c.runUrl);
    return {
        status: input.status,
        ...look,
        title: input.title || `${look.emoji} ${defaultTitle(input.status, c)}`,
        text: input.message || defaultText(input.status, c),
        facts,
        runUrl: c.runUrl,
        environmentUrl: c.environmentUrl,
        timestamp: now.toISOString(),
        context: c
    };
}
/**
 * Cuts to at most n UTF-16 units (the stricter way to count a provider's
 * "characters"), never splitting a surrogate pair, and marks the cut with \u2026
 */
function message_clip(s, n) {
    if (s.length <= n)
        return s;
    let end = Math.max(0, n - 1);
    const code = s.charCodeAt(end - 1);
    if (code >= 0xd800 && code <= 0xdbff)
        end--; // a high surrogate whose pair would be cut off
    return `${s.slice(0, end)}\u2026`;
}

// EXTERNAL MODULE: ../../packages/probe/src/undici-client.ts
var undici_client = __webpack_require__(6316);
// EXTERNAL MODULE: ../../packages/probe/src/request.ts
var request = __webpack_require__(3081);
;// CONCATENATED MODULE: ../../packages/notify/src/http.ts



/** Reads at most this much of a response: chat services answer with a few bytes. */
const MAX_BODY = 64 * 1024;
async function postJson(url, body, o) {
    // The request, the bound, the timing and the capped body read are probe's; the failure wording is ours.
    const send = (0,undici_client/* undiciTransport */.iL)(o.dispatcher);
    let failure;
    const res = await (0,request/* exchange */.c)((r, signal) => send(r, signal).catch((e) => {
        failure = e;
        throw e;
    }), {
        url,
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'gantry-notify', ...o.headers },
        body,
        timeoutMs: o.timeoutMs,
        maxBodyBytes: MAX_BODY
    });
    if (res.error) {
        if (res.error.kind === 'timeout')
            throw new DeliveryError(`timed out after ${o.timeoutMs} ms`, true);
        throw new DeliveryError(networkMessage(failure), true);
    }
    const status = res.status;
    if (status >= 200 && status < 300)
        return { status, headers: res.headers, text: res.body };
    throw httpError(status, brief(res.body), res.headers['retry-after']);
}
/** The first line of an error body, short: enough to say why, not a page of HTML. */
function brief(text) {
    const one = text
        .replace(/<[^>]*>/g, ' ')
        .replace(/\s+/g, ' ')
        .trim();
    return one.length > 200 ? `${one.slice(0, 197)}...` : one;
}
function networkMessage(e) {
    const codes = (0,src/* errorCodes */.fv)(e);
    switch ((0,src/* classifyNetworkError */.LW)(e)) {
        case 'refused':
            return 'connection refused';
        case 'dns':
            return 'DNS lookup failed';
        case 'reset':
            return 'connection reset';
        case 'tls':
            return `TLS error (${codes.join(', ')})`;
        default:
            return codes[0] ? `network error (${codes[0]})` : 'network error';
    }
}

// EXTERNAL MODULE: ../../node_modules/undici/index.js
var undici = __webpack_require__(1684);
// EXTERNAL MODULE: external "node:perf_hooks"
var external_node_perf_hooks_ = __webpack_require__(643);
;// CONCATENATED MODULE: ../../packages/notify/src/notify.ts
/**
 * Sends one message to every configured channel in parallel. A channel's
 * failure is its own result and never stops or hides the others.
 */



async function notifyAll(message, channels, o = {}) {
    const policy = { ...defaultPolicy, ...o.policy };
    // One pool for the step, closed at the end so no socket outlives it. Like
    // @actions/http-client, it honours HTTP(S)_PROXY / NO_PROXY (self-hosted
    // runners behind a proxy) and never proxies localhost, 127.0.0.1 or [::1].
    const dispatcher = new undici/* EnvHttpProxyAgent */.J2({
        keepAliveTimeout: 5_000,
        connections: 4,
        noProxy: [process.env.no_proxy ?? process.env.NO_PROXY, 'localhost', '127.0.0.1', '[::1]'].filter(Boolean).join(',')
    });
    try {
        return await Promise.all(channels.map(async (ch) => {
            const start = external_node_perf_hooks_.performance.now();
            const onRetry = (msg, attempt, delay) => o.onRetry?.(ch.name, msg, attempt, delay);
            try {
                const sent = await ch.send(message, {
                    policy,
                    dispatcher,
                    onRetry,
                    deliver: (attempt) => deliver(attempt, policy, (e, n, d) => onRetry(e.message, n, d))
                });
                return {
                    channel: ch.name,
                    ok: true,
                    detail: sent.detail,
                    attempts: sent.attempts,
                    durationMs: external_node_perf_hooks_.performance.now() - start,
                    ...(sent.slackTs ? { slackTs: sent.slackTs } : {})
                };
            }
            catch (e) {
                const attempts = e.attempts ?? 1;
                return {
                    channel: ch.name,
                    ok: false,
                    detail: e instanceof Error ? e.message : String(e),
                    attempts,
                    durationMs: external_node_perf_hooks_.performance.now() - start
                };
            }
        }));
    }
    finally {
        await dispatcher.close();
    }
}
/** The `sent` output: each configured channel \u2192 "ok" or its error. */
function sentOutput(results) {
    return Object.fromEntries(results.map((r) => [r.channel, r.ok ? 'ok' : r.detail]));
}

// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(7598);
// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(1455);
// EXTERNAL MODULE: external "node:os"
var external_node_os_ = __webpack_require__(8161);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(6760);
;// CONCATENATED MODULE: ../../packages/notify/src/duration.ts
/**
 * Duration: `started` leaves a marker in RUNNER_TEMP and a later status in the
 * same job reads it back. RUNNER_TEMP is per job, so a result notified from
 * another job has no duration (rather than a wrong one).
 */




function markerPath(environment, env) {
    const key = (0,external_node_crypto_.createHash)('sha256')
        .update(`${env.GITHUB_REPOSITORY ?? ''}\0${env.GITHUB_RUN_ID ?? ''}\0${environment ?? ''}`)
        .digest('hex')
        .slice(0, 16);
    return (0,external_node_path_.join)(env.RUNNER_TEMP || (0,external_node_os_.tmpdir)(), 'gantry', `notify-started-${key}.json`);
}
async function markStarted(environment, now = new Date(), env = process.env) {
    const file = markerPath(environment, env);
    await (0,promises_.mkdir)((0,external_node_path_.join)(file, '..'), { recursive: true });
    await (0,promises_.writeFile)(`${file}.tmp`, JSON.stringify({ startedAt: now.toISOString() }));
    await (0,promises_.rename)(`${file}.tmp`, file);
}
async function durationSinceStarted(environment, now = new Date(), env = process.env) {
    try {
        const { startedAt } = JSON.parse(await (0,promises_.readFile)(markerPath(environment, env), 'utf8'));
        const t = startedAt ? Date.parse(startedAt) : NaN;
        return Number.isNaN(t) || t > now.getTime() ? undefined : now.getTime() - t;
    }
    catch {
        return undefined;
    }
}

;// CONCATENATED MODULE: ../../packages/notify/src/channels/kind.ts
/**
 * A notify channel as a registered kind (see @gantry/core kinds.ts): the
 * inputs only it reads, which are secrets, which are URLs whose tokens are
 * masked one by one, the combinations it refuses, and how to make its
 * channel(s): none when its inputs are not given. notify's main derives all
 * of that from the registry, so a new channel is its module plus one line in
 * registry.ts.
 */

/** Declares a channel kind, keeping its name and inputs as literal types. */
function channelKind(kind) {
    return kind;
}
/**
 * An http(s) URL kept exactly as written: a webhook URL's secret is masked in
 * the form the user knows.
 */
const webhookUrl = src/* fields */.OA.urlText();
/** Masks each long path segment and query value of a URL (see ChannelKind.tokenUrls). */
function maskUrlTokens(value) {
    if (!value)
        return;
    const u = new URL(value);
    for (const segment of u.pathname.split('/'))
        if (segment.length >= 16)
            (0,src/* maskSecret */.$l)(decodeURIComponent(segment));
    for (const v of u.searchParams.values())
        if (v.length >= 16)
            (0,src/* maskSecret */.$l)(v);
}

;// CONCATENATED MODULE: ../../packages/notify/src/channels/slack.ts





/**
 * clip() for mrkdwn: a cut never splits a `<url|label>` link (Slack would show
 * its raw text, or link to half a URL) or an `&amp;`-style escape; the cut moves
 * back to before it.
 */
function clipMrkdwn(s, n) {
    const c = message_clip(s, n);
    if (c === s)
        return s;
    let kept = c.slice(0, -1);
    const open = kept.lastIndexOf('<');
    if (open > kept.lastIndexOf('>'))
        kept = kept.slice(0, open);
    const amp = kept.lastIndexOf('&');
    if (amp >= 0 && !kept.slice(amp).includes(';') && kept.length - amp < 5)
        kept = kept.slice(0, amp);
    return `${kept}\u2026`;
}
const SLACK_LIMITS = { header: 150, sectionText: 3000, fields: 10, fieldText: 2000, contextElements: 10 };
/** Slack's Web API base; GANTRY_SLACK_API_URL points it at a stand-in in tests. */
function slackApiBase(env = process.env) {
    return (env.GANTRY_SLACK_API_URL || 'https://slack.com/api').replace(/\/+$/, '');
}
/** mrkdwn control characters (Slack: "Escaping text"). */
function escapeMrkdwn(s) {
    return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
function slack_link(url, label) {
    return `<${url.replace(/[|>]/g, encodeURIComponent)}|${escapeMrkdwn(label)}>`;
}
function factText(f) {
    const value = f.url ? slack_link(f.url, f.value) : escapeMrkdwn(f.value);
    return `*${escapeMrkdwn(f.label)}*\n${value}`;
}
function slackPayload(m) {
    const header = {
        type: 'header',
        text: { type: 'plain_text', text: message_clip(m.title, SLACK_LIMITS.header), emoji: true }
    };
    const text = {
        type: 'section',
        text: { type: 'mrkdwn', text: clipMrkdwn(escapeMrkdwn(m.text), SLACK_LIMITS.sectionText) }
    };
    const blocks = [header, text];
    if (m.facts.length) {
        const fields = {
            type: 'section',
            fields: m.facts
                .slice(0, SLACK_LIMITS.fields)
                .map((f) => ({ type: 'mrkdwn', text: clipMrkdwn(factText(f), SLACK_LIMITS.fieldText) }))
        };
        blocks.push(fields);
    }
    // Links as mrkdwn rather than buttons: a link button in an app without an
    // interactivity URL shows a warning triangle when clicked.
    const links = [m.runUrl && slack_link(m.runUrl, 'View run'), m.environmentUrl && slack_link(m.environmentUrl, 'Open environment')];
    const context = {
        type: 'context',
        elements: [...links.filter((l) => Boolean(l)), 'gantry notify']
            .slice(0, SLACK_LIMITS.contextElements)
            .map((t) => ({ type: 'mrkdwn', text: t }))
    };
    blocks.push(context);
    // `text` is the notification and screen-reader fallback when blocks are present.
    return { text: message_clip(`${m.title}: ${m.text}`, SLACK_LIMITS.sectionText), blocks };
}
function slackWebhook(url) {
    return {
        name: 'slack',
        async send(m, ctx) {
            const { value, attempts } = await ctx.deliver(() => postJson(url, JSON.stringify(slackPayload(m)), { timeoutMs: ctx.policy.timeoutMs, dispatcher: ctx.dispatcher }));
            return { detail: `HTTP ${value.status}`, attempts };
        }
    };
}
/** Slack Web API errors that a retry may cure (Slack's docs list them per method). */
const TRANSIENT = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'ratelimited']);
function slackResult(res) {
    let data;
    try {
        data = JSON.parse(res.text);
    }
    catch {
        throw new DeliveryError(`Slack answered HTTP ${res.status} with a body that is not JSON`, false, res.status);
    }
    if (!data.ok) {
        const error = data.error ?? 'unknown_error';
        throw new DeliveryError(`Slack error: ${error}`, TRANSIENT.has(error), res.status);
    }
    return { ts: data.ts, channel: data.channel };
}
/** chat.update errors after which posting a new message is the way to still be heard. */
const UPDATE_GONE = new Set(['message_not_found', 'cant_update_message', 'edit_window_closed']);
function slackApi(o) {
    const base = o.baseUrl ?? slackApiBase();
    const call = async (method, body, ctx) => ctx.deliver(async () => slackResult(await postJson(`${base}/${method}`, JSON.stringify(body), {
        timeoutMs: ctx.policy.timeoutMs,
        dispatcher: ctx.dispatcher,
        headers: { authorization: `Bearer ${o.token}` }
    })));
    const post = (m, ctx) => call('chat.postMessage', { channel: o.channel, ...slackPayload(m), unfurl_links: false, unfurl_media: false }, ctx);
    return {
        name: 'slack',
        async send(m, ctx) {
            if (!o.ts) {
                const { value, attempts } = await post(m, ctx);
                return { detail: 'chat.postMessage ok', attempts, slackTs: value.ts };
            }
            try {
                const { value, attempts } = await call('chat.update', { channel: o.channel, ts: o.ts, ...slackPayload(m) }, ctx);
                return { detail: 'chat.update ok', attempts, slackTs: value.ts ?? o.ts };
            }
            catch (e) {
                // The message to update is gone (deleted, or too old to edit): the
                // result must still arrive, so post it as a new message.
                const error = /Slack error: (\w+)/.exec(e instanceof Error ? e.message : '')?.[1];
                if (!error || !UPDATE_GONE.has(error))
                    throw e;
                const { value, attempts } = await post(m, ctx);
                return {
                    detail: `chat.update failed (${error}); posted a new message`,
                    attempts: attempts + 1,
                    slackTs: value.ts
                };
            }
        }
    };
}
/** Slack's message timestamps look like 1700000000.123456. */
const slackTsField = (0,src/* stringField */.OM)((s, fail) => /^\d+\.\d+$/.test(s) ? s : fail('expected a Slack message ts such as 1700000000.123456'));
/** Slack, through an incoming webhook or the Web API (one channel either way). */
const slackKind = channelKind({
    name: 'slack',
    inputs: {
        'slack-webhook': (0,src/* optional */.lq)(webhookUrl),
        'slack-token': (0,src/* optional */.lq)(src/* fields */.OA.string('a Slack bot token (xoxb-\u2026)')),
        'slack-channel': (0,src/* optional */.lq)(src/* fields */.OA.string('a Slack channel id such as C0123456789')),
        'slack-ts': (0,src/* optional */.lq)(slackTsField)
    },
    secrets: ['slack-webhook', 'slack-token'],
    tokenUrls: ['slack-webhook'],
    check(v) {
        if (v['slack-token'] && !v['slack-channel']) {
            throw new src/* InputError */.dz("Input 'slack-channel' is required with slack-token: expected a Slack channel id such as C0123456789");
        }
        if (!v['slack-token'] && (v['slack-channel'] || v['slack-ts'])) {
            throw new src/* InputError */.dz(`Input '${v['slack-ts'] ? 'slack-ts' : 'slack-channel'}' needs slack-token: expected a Slack bot token (xoxb-\u2026) with chat:write`);
        }
    },
    make(v, ctx) {
        // Both routes configured (e.g. a reusable workflow passing every secret
        // it has): the Web API wins, as only it can update in place.
        if (v['slack-token'] && v['slack-channel']) {
            if (v['slack-webhook']) {
                ctx.warning('slack-webhook is ignored because slack-token is set: Slack is sent through the Web API', 'notify: slack');
            }
            return [slackApi({ token: v['slack-token'], channel: v['slack-channel'], ts: v['slack-ts'] })];
        }
        return v['slack-webhook'] ? [slackWebhook(v['slack-webhook'])] : [];
    }
});

;// CONCATENATED MODULE: ../../packages/notify/src/channels/teams.ts
/**
 * Microsoft Teams through a Workflows webhook (Office 365 connectors are
 * retired). The Workflows "post card" flow expects the Bot Framework message
 * envelope with one Adaptive Card attachment. Version 1.4: what Teams renders
 * on every client, mobile included. Text is not Markdown-escaped: Teams'
 * Markdown subset shows backslash escapes literally, which is worse than the
 * odd emphasis; only link labels lose their brackets.
 */



const ADAPTIVE_CARD_VERSION = '1.4';
const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';
function adaptiveCard(m) {
    const actions = [
        m.runUrl && { type: 'Action.OpenUrl', title: 'View run', url: m.runUrl },
        m.environmentUrl && { type: 'Action.OpenUrl', title: 'Open environment', url: m.environmentUrl }
    ].filter(Boolean);
    return {
        type: 'AdaptiveCard',
        $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
        version: ADAPTIVE_CARD_VERSION,
        body: [
            { type: 'TextBlock', text: m.title, weight: 'Bolder', size: 'Large', color: m.teamsColor, wrap: true },
            { type: 'TextBlock', text: m.text, wrap: true },
            {
                type: 'FactSet',
                facts: m.facts.map((f) => ({
                    title: f.label,
                    value: f.url ? `[${f.value.replace(/[[\]]/g, '')}](${f.url})` : f.value
                }))
            }
        ],
        ...(actions.length ? { actions } : {}),
        msteams: { width: 'Full' }
    };
}
function teamsPayload(m) {
    return {
        type: 'message',
        attachments: [{ contentType: ADAPTIVE_CARD_CONTENT_TYPE, contentUrl: null, content: adaptiveCard(m) }]
    };
}
function teamsWebhook(url) {
    return {
        name: 'teams',
        async send(m, ctx) {
            const { value, attempts } = await ctx.deliver(() => postJson(url, JSON.stringify(teamsPayload(m)), { timeoutMs: ctx.policy.timeoutMs, dispatcher: ctx.dispatcher }));
            return { detail: `HTTP ${value.status}`, attempts };
        }
    };
}
const teamsKind = channelKind({
    name: 'teams',
    inputs: { 'teams-webhook': (0,src/* optional */.lq)(webhookUrl) },
    secrets: ['teams-webhook'],
    tokenUrls: ['teams-webhook'],
    make: (v) => (v['teams-webhook'] ? [teamsWebhook(v['teams-webhook'])] : [])
});

;// CONCATENATED MODULE: ../../packages/notify/src/channels/discord.ts





const DISCORD_LIMITS = {
    title: 256,
    description: 4096,
    fields: 25,
    fieldName: 256,
    fieldValue: 1024,
    footer: 2048,
    author: 256,
    total: 6000
};
function escapeMd(s) {
    return s.replace(/([\\*_~`|[\]>])/g, '\\$1');
}
/** The characters Discord counts towards the 6000 total. */
function embedSize(e) {
    let n = (e.title ?? '').length + (e.description ?? '').length;
    n += (e.footer?.text ?? '').length + (e.author?.name ?? '').length;
    for (const f of e.fields ?? [])
        n += f.name.length + f.value.length;
    return n;
}
function discordPayload(m) {
    const fields = m.facts.slice(0, DISCORD_LIMITS.fields).map((f) => ({
        name: message_clip(f.label, DISCORD_LIMITS.fieldName),
        value: message_clip(f.url ? `[${escapeMd(f.value)}](${f.url})` : escapeMd(f.value), DISCORD_LIMITS.fieldValue) || '\u2013',
        inline: true
    }));
    const embed = {
        title: message_clip(m.title, DISCORD_LIMITS.title),
        description: message_clip(escapeMd(m.text), DISCORD_LIMITS.description),
        color: parseInt(m.color.slice(1), 16),
        fields,
        footer: { text: 'gantry notify' },
        timestamp: m.timestamp,
        ...(m.runUrl ? { url: m.runUrl } : {})
    };
    // Over the total: shorten the description first, then drop trailing fields.
    const over = embedSize(embed) - DISCORD_LIMITS.total;
    if (over > 0 && embed.description) {
        embed.description = message_clip(embed.description, Math.max(1, embed.description.length - over));
    }
    while (embedSize(embed) > DISCORD_LIMITS.total && embed.fields && embed.fields.length)
        embed.fields.pop();
    return { embeds: [embed], allowed_mentions: { parse: [] } };
}
function discordWebhook(url) {
    return {
        name: 'discord',
        async send(m, ctx) {
            const { value, attempts } = await ctx.deliver(async () => {
                try {
                    return await postJson(url, JSON.stringify(discordPayload(m)), {
                        timeoutMs: ctx.policy.timeoutMs,
                        dispatcher: ctx.dispatcher
                    });
                }
                catch (e) {
                    throw withBodyRetryAfter(e);
                }
            });
            return { detail: `HTTP ${value.status}`, attempts };
        }
    };
}
/** Discord also gives `retry_after` (seconds) in a 429's JSON body; use it when the header is missing. */
function withBodyRetryAfter(e) {
    if (!(e instanceof DeliveryError) || e.status !== 429 || e.retryAfterMs !== undefined)
        return e;
    const m = /"retry_after"\s*:\s*([\d.]+)/.exec(e.message);
    if (!m)
        return e;
    return new DeliveryError(e.message, true, 429, Math.ceil(Number(m[1]) * 1000));
}
const discordKind = channelKind({
    name: 'discord',
    inputs: { 'discord-webhook': (0,src/* optional */.lq)(webhookUrl) },
    secrets: ['discord-webhook'],
    tokenUrls: ['discord-webhook'],
    make: (v) => (v['discord-webhook'] ? [discordWebhook(v['discord-webhook'])] : [])
});

;// CONCATENATED MODULE: ../../packages/notify/src/channels/webhook.ts
/**
 * A generic webhook: the message as JSON, signed like GitHub's own webhooks
 * (`X-Gantry-Signature: sha256=<hex HMAC-SHA256 of the exact body bytes>`).
 * X-Gantry-Delivery stays the same across retries so a receiver can drop a
 * duplicate.
 */




function sign(body, secret) {
    return `sha256=${(0,external_node_crypto_.createHmac)('sha256', secret).update(body, 'utf8').digest('hex')}`;
}
function webhookBody(m) {
    const c = m.context;
    return {
        schema: 1,
        event: 'deployment',
        status: m.status,
        title: m.title,
        message: m.text,
        repository: c.repository ?? null,
        ref: c.ref ?? null,
        sha: c.sha ?? null,
        actor: c.actor ?? null,
        environment: c.environment ?? null,
        releaseId: c.releaseId ?? null,
        environmentUrl: c.environmentUrl ?? null,
        runUrl: c.runUrl ?? null,
        durationMs: c.durationMs ?? null,
        timestamp: m.timestamp
    };
}
function genericWebhook(url, secret) {
    return {
        name: 'webhook',
        async send(m, ctx) {
            const body = JSON.stringify(webhookBody(m));
            const headers = { 'x-gantry-event': 'deployment', 'x-gantry-delivery': (0,external_node_crypto_.randomUUID)() };
            if (secret)
                headers['x-gantry-signature'] = sign(body, secret);
            const { value, attempts } = await ctx.deliver(() => postJson(url, body, { timeoutMs: ctx.policy.timeoutMs, dispatcher: ctx.dispatcher, headers }));
            return { detail: `HTTP ${value.status}`, attempts };
        }
    };
}
const webhookKind = channelKind({
    name: 'webhook',
    inputs: { webhook: (0,src/* optional */.lq)(webhookUrl), 'webhook-secret': (0,src/* optional */.lq)(src/* fields */.OA.string()) },
    secrets: ['webhook', 'webhook-secret'],
    tokenUrls: ['webhook'],
    check(v) {
        if (v['webhook-secret'] && !v.webhook)
            throw new src/* InputError */.dz("Input 'webhook-secret' needs 'webhook': expected an http(s) URL");
    },
    make: (v) => (v.webhook ? [genericWebhook(v.webhook, v['webhook-secret'])] : [])
});

;// CONCATENATED MODULE: ../../packages/notify/src/channels/github.ts
/** GitHub deployment status as a channel: state from the status, links to the app and the run. */




function githubDeploymentStatus(o) {
    return {
        name: 'github',
        async send(m, ctx) {
            const client = new GitHubDeployments({
                token: o.token,
                baseUrl: o.baseUrl,
                repository: o.repository,
                policy: ctx.policy,
                onRetry: ctx.onRetry
            });
            const state = deploymentStateFor(m.status);
            try {
                const s = await client.createDeploymentStatus({
                    deploymentId: o.deploymentId,
                    state,
                    environmentUrl: m.environmentUrl,
                    logUrl: m.runUrl,
                    description: m.text,
                    // No `environment`: the deployment already names it, and notify's
                    // environment input is for display.
                    autoInactive: true
                });
                return { detail: `deployment ${o.deploymentId} \u2192 ${state}`, attempts: s.attempts };
            }
            catch (e) {
                // Strip the client's prefix: the summary already says which channel this is.
                if (e instanceof DeliveryFailed)
                    throw new DeliveryFailed(e.message.replace(/^create deployment status: /, ''), e.attempts);
                throw e;
            }
        }
    };
}
/** `token` defaults to the job's token in action.yml, so the deployment id alone configures it. */
const githubKind = channelKind({
    name: 'github',
    inputs: {
        'github-deployment-id': (0,src/* optional */.lq)(src/* fields */.OA.int(1)),
        token: (0,src/* optional */.lq)(src/* fields */.OA.string('a GitHub token'))
    },
    secrets: ['token'],
    check(v) {
        if (v['github-deployment-id'] && !v.token) {
            throw new src/* InputError */.dz("Input 'token' is required with github-deployment-id: expected a GitHub token (default ${{ github.token }})");
        }
    },
    make: (v) => v['github-deployment-id'] && v.token
        ? [githubDeploymentStatus({ token: v.token, deploymentId: v['github-deployment-id'] })]
        : []
});

;// CONCATENATED MODULE: ../../packages/notify/src/summary.ts
/** The job-summary section: what was said, and where it arrived (or why not). */

function cell(value, url) {
    // Link text is escaped by table(); the URL must not break out of the link.
    return url ? `[${value.replace(/[[\]]/g, '')}](${url.replace(/[()\s|]/g, encodeURIComponent)})` : value;
}
function notifySummary(m, results) {
    const lines = [`### ${(0,src/* escapeCell */.kq)(m.title)}`, '', `> ${m.text.replace(/\r?\n/g, ' ')}`, ''];
    lines.push((0,src/* table */.tp)(['Fact', 'Value'], m.facts.map((f) => [f.label, cell(f.value, f.url)])), '');
    if (results.length === 0) {
        lines.push('No channel configured: nothing was sent; this summary is the notification.');
    }
    else {
        const failed = results.filter((r) => !r.ok).length;
        lines.push((0,src/* table */.tp)(['Channel', 'Verdict', 'Attempts', 'Time', 'Detail'], results.map((r) => [r.channel, r.ok ? '\u2705 sent' : '\u274c failed', r.attempts, (0,src.ms)(r.durationMs), r.detail])), '', failed
            ? `${failed} of ${results.length} channel(s) failed; the others were not held back.`
            : `All ${results.length} channel(s) delivered.`);
    }
    return lines.join('\n');
}

;// CONCATENATED MODULE: ../../packages/notify/src/channels/email-message.ts
/**
 * An email rendered from the same Message as every other channel: a text part
 * and an HTML part (everything escaped), and the headers that keep one
 * deployment in one thread. The Message-ID is derived from the run and the
 * environment, so a result's In-Reply-To can name the `started` email of the
 * same run without any state passed between the two steps.
 */

/** Used when the sender's domain cannot be read (RFC 6761 reserves .invalid). */
const FALLBACK_ID_DOMAIN = 'gantry.invalid';
/**
 * What names one deployment: repository, run id, run attempt (a re-run is a
 * new deployment) and environment. The release id is not part of it: the
 * `started` notice is sent before the release exists.
 */
function threadHash(c) {
    const key = JSON.stringify([c.repository ?? '', c.runId ?? '', c.runAttempt ?? '', c.environment ?? '']);
    return (0,external_node_crypto_.createHash)('sha256').update(key).digest('hex').slice(0, 32);
}
/** The domain of a sender address, reduced to the characters a Message-ID may carry. */
function idDomain(from) {
    const domain = /@([^@\s>]+)>?\s*$/.exec(from)?.[1]?.toLowerCase() ?? '';
    return /^[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?$/.test(domain) ? domain : FALLBACK_ID_DOMAIN;
}
/**
 * `<gantry.{thread}.{status}[.{release}]@{domain}>`. A result names its
 * release, so two results of one run for different releases stay distinct;
 * `started` never does, so every result can derive it.
 */
function messageId(m, domain) {
    const c = m.context;
    const release = m.status !== 'started' && c.releaseId
        ? `.${(0,external_node_crypto_.createHash)('sha256').update(c.releaseId).digest('hex').slice(0, 12)}`
        : '';
    return `<gantry.${threadHash(c)}.${m.status}${release}@${domain}>`;
}
function startedMessageId(m, domain) {
    return `<gantry.${threadHash(m.context)}.started@${domain}>`;
}
function threadHeaders(m, domain) {
    const id = messageId(m, domain);
    if (m.status === 'started')
        return { messageId: id };
    const started = startedMessageId(m, domain);
    return { messageId: id, inReplyTo: started, references: started };
}
function escapeHtml(s) {
    return s
        .replace(/&/g, '&amp;')
        .replace(/</g, '&lt;')
        .replace(/>/g, '&gt;')
        .replace(/"/g, '&quot;')
        .replace(/'/g, '&#39;');
}
function links(m) {
    const out = [];
    if (m.runUrl)
        out.push(['View run', m.runUrl]);
    if (m.environmentUrl)
        out.push(['Open environment', m.environmentUrl]);
    return out;
}
function emailText(m) {
    const facts = m.facts.map((f) => `${f.label}: ${f.value}${f.url ? ` <${f.url}>` : ''}`);
    const link = links(m).map(([label, url]) => `${label}: ${url}`);
    return [
        m.title,
        '',
        m.text,
        '',
        ...facts,
        ...(link.length ? ['', ...link] : []),
        '',
        '-- ',
        'gantry notify',
        ''
    ].join('\n');
}
/** Only http(s) links become anchors; anything else is shown as text. */
function email_message_anchor(url, label) {
    return /^https?:\/\//i.test(url) ? `<a href="${escapeHtml(url)}">${escapeHtml(label)}</a>` : escapeHtml(label);
}
function emailHtml(m) {
    const rows = m.facts
        .map((f) => `<tr><th align="left" style="padding:2px 12px 2px 0">${escapeHtml(f.label)}</th><td>${f.url ? email_message_anchor(f.url, f.value) : escapeHtml(f.value)}</td></tr>`)
        .join('\n');
    const link = links(m)
        .map(([label, url]) => email_message_anchor(url, label))
        .join(' \u00b7 ');
    return [
        '<!DOCTYPE html>',
        '<html><head><meta charset="utf-8"></head>',
        `<body style="font-family:sans-serif">`,
        `<div style="border-left:4px solid ${/^#[0-9a-f]{6}$/i.test(m.color) ? m.color : '#6e7781'};padding-left:12px">`,
        `<h2 style="margin:0 0 8px">${escapeHtml(m.title)}</h2>`,
        `<p>${escapeHtml(m.text)}</p>`,
        `<table>\n${rows}\n</table>`,
        link ? `<p>${link}</p>` : '',
        '</div>',
        '<p style="color:#6e7781;font-size:12px">gantry notify</p>',
        '</body></html>',
        ''
    ]
        .filter((l) => l !== '')
        .join('\n');
}

;// CONCATENATED MODULE: ../../packages/notify/src/channels/email.ts
/**
 * Email over SMTP (nodemailer). `smtp://` must upgrade with STARTTLS, never
 * silently falling back to plain text, unless smtp-insecure allows a server
 * without TLS; `smtps://` is TLS from the first byte. Certificates are always
 * verified (a private CA comes through NODE_EXTRA_CA_CERTS). Every email of
 * one deployment is one thread (see email-message.ts).
 */





// Not written as scheme://user:password@host: redaction would blank that out of the message.
const SMTP_URL_FORM = 'smtp://host:587 (STARTTLS) or smtps://host:465 (implicit TLS), with the login as user:password@ before the host';
const ADDRESSES_FORM = 'email addresses such as ops@example.com, one per line or comma-separated';
const FROM_FORM = 'a sender address such as Gantry <deploy@example.com>';
function decode(s) {
    try {
        return decodeURIComponent(s);
    }
    catch {
        return s;
    }
}
/** Parses smtp-url; undefined when it is not of SMTP_URL_FORM (the caller words the error). */
function parseSmtpUrl(s) {
    let u;
    try {
        u = new URL(s);
    }
    catch {
        return undefined;
    }
    if (u.protocol !== 'smtp:' && u.protocol !== 'smtps:')
        return undefined;
    if (!u.hostname || (u.pathname !== '' && u.pathname !== '/') || u.search || u.hash)
        return undefined;
    const secure = u.protocol === 'smtps:';
    return {
        secure,
        host: u.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: u.port ? Number(u.port) : secure ? 465 : 587,
        ...(u.username ? { user: decode(u.username) } : {}),
        ...(u.password ? { password: decode(u.password) } : {})
    };
}
/** Kept as written (a secret, masked in the form the user gave it); checked here. */
const smtpUrlField = (0,src/* stringField */.OM)((s, fail) => (parseSmtpUrl(s) ? s : fail(`expected ${SMTP_URL_FORM}`)));
/** `ops@example.com` or `Ops <ops@example.com>`. */
const ADDRESS = /^(?:[^<>@,;"\r\n]*<([^\s<>@,;"]+@[^\s<>@,;"]+)>|([^\s<>@,;"]+@[^\s<>@,;"]+))$/;
function parseAddresses(s) {
    return s
        .split(/[\r\n,]+/)
        .map((a) => a.trim())
        .filter(Boolean);
}
function isAddress(s) {
    return ADDRESS.test(s.trim());
}
const addressesField = (0,src/* stringField */.OM)((s, fail) => {
    const list = parseAddresses(s);
    const bad = list.find((a) => !isAddress(a));
    if (list.length === 0)
        return fail(`expected ${ADDRESSES_FORM}`);
    if (bad !== undefined)
        return fail(`expected ${ADDRESSES_FORM} ('${message_clip(bad, 80)}' is not one)`);
    return list;
});
const fromField = (0,src/* stringField */.OM)((s, fail) => (isAddress(s) ? s.trim() : fail(`expected ${FROM_FORM}`)));
/** The sender: email-from, else the SMTP user when it is an address (most providers require that one). */
function senderFor(from, server) {
    if (from)
        return from;
    return server?.user && isAddress(server.user) ? server.user : undefined;
}
/** Words for failures a retry cannot cure, with what to do about them. */
function tlsHint(e) {
    const text = e.message ?? '';
    if (/certificate|self[- ]signed|unable to (get|verify)|CERT_|hostname\/IP does not match|altnames/i.test(text)) {
        return `the server's TLS certificate is not trusted (${oneLine(text)}): give its CA in NODE_EXTRA_CA_CERTS`;
    }
    if (e.code === 'ETLS' && e.command === 'STARTTLS') {
        return `the server refused STARTTLS (${oneLine(text)}), which smtp:// requires: use smtps://, or set smtp-insecure: true to allow a server without TLS`;
    }
    return undefined;
}
function oneLine(s) {
    return message_clip(s.replace(/\s+/g, ' ').trim(), 300);
}
/** Failures of the connection itself: another attempt may find the server up. */
const TRANSIENT_CODES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ECONNRESET', 'ECONNREFUSED']);
/**
 * A nodemailer error as a DeliveryError: 4xx replies (421, 450, 451, 452)
 * and connection failures are retried; 5xx replies (550, 535) and TLS
 * problems are not. The text is the server's reply, never the URL.
 */
function smtpDeliveryError(e) {
    const err = (e ?? {});
    const hint = tlsHint(err);
    if (hint)
        return new DeliveryError(hint, false);
    const text = oneLine(err.message ?? String(e));
    if (typeof err.responseCode === 'number' && err.responseCode >= 400) {
        return new DeliveryError(`SMTP ${err.responseCode}: ${text}`, err.responseCode < 500, err.responseCode);
    }
    return new DeliveryError(text, TRANSIENT_CODES.has(err.code ?? ''));
}
function emailChannel(o) {
    const { server } = o;
    return {
        name: 'email',
        async send(m, ctx) {
            const timeout = ctx.policy.timeoutMs;
            // Loaded only when email is configured: nodemailer is a chunk of the bundle of its own,
            // which every other notify step would otherwise load at start-up.
            const { createTransport } = await __webpack_require__.e(/* import() */ 463).then(__webpack_require__.bind(__webpack_require__, 7463));
            const transport = createTransport({
                host: server.host,
                port: server.port,
                secure: server.secure,
                // STARTTLS is required on smtp:// unless smtp-insecure; otherwise used when offered.
                requireTLS: !server.secure && !o.insecure,
                ...(server.user ? { auth: { user: server.user, pass: server.password ?? '' } } : {}),
                // Certificates are verified (the default); only the protocol floor is raised.
                tls: { minVersion: 'TLSv1.2' },
                connectionTimeout: timeout,
                greetingTimeout: timeout,
                socketTimeout: timeout,
                logger: false,
                debug: false
            });
            const thread = threadHeaders(m, idDomain(o.from));
            try {
                const { value, attempts } = await ctx.deliver(async () => {
                    try {
                        return await transport.sendMail({
                            from: o.from,
                            to: o.to,
                            subject: m.title,
                            text: emailText(m),
                            html: emailHtml(m),
                            ...thread,
                            headers: { 'Auto-Submitted': 'auto-generated', 'X-Gantry-Status': m.status }
                        });
                    }
                    catch (e) {
                        throw smtpDeliveryError(e);
                    }
                });
                const rejected = value.rejected.length ? `, ${value.rejected.length} rejected` : '';
                return {
                    detail: `${oneLine(value.response)} (${value.accepted.length} recipient(s) accepted by ${server.host}${rejected})`,
                    attempts
                };
            }
            finally {
                transport.close();
            }
        }
    };
}
const emailKind = channelKind({
    name: 'email',
    inputs: {
        'smtp-url': (0,src/* optional */.lq)(smtpUrlField),
        'smtp-insecure': src/* fields */.OA.boolean(),
        'email-from': (0,src/* optional */.lq)(fromField),
        'email-to': (0,src/* optional */.lq)(addressesField)
    },
    secrets: ['smtp-url'],
    // The user and password alone, and as AUTH PLAIN carries them (base64 of
    // NUL user NUL password); maskSecret adds the other encodings.
    secretParts(v) {
        const s = v['smtp-url'] ? parseSmtpUrl(v['smtp-url']) : undefined;
        if (!s?.user && !s?.password)
            return [];
        const plain = Buffer.from(`\0${s.user ?? ''}\0${s.password ?? ''}`, 'utf8').toString('base64');
        return [s.user, s.password, plain];
    },
    check(v) {
        const url = v['smtp-url'];
        for (const name of ['email-to', 'email-from']) {
            if (v[name] && !url)
                throw new src/* InputError */.dz(`Input '${name}' needs 'smtp-url': expected ${SMTP_URL_FORM}`);
        }
        if (v['smtp-insecure'] && !url) {
            throw new src/* InputError */.dz(`Input 'smtp-insecure' needs 'smtp-url': expected ${SMTP_URL_FORM}, or smtp-insecure: false`);
        }
        if (!url)
            return;
        if (!v['email-to'])
            throw new src/* InputError */.dz(`Input 'email-to' is required with smtp-url: expected ${ADDRESSES_FORM}`);
        if (!senderFor(v['email-from'], parseSmtpUrl(url))) {
            throw new src/* InputError */.dz(`Input 'email-from' is required with smtp-url (its user is not an address): expected ${FROM_FORM}`);
        }
    },
    make(v) {
        const server = v['smtp-url'] ? parseSmtpUrl(v['smtp-url']) : undefined;
        const from = senderFor(v['email-from'], server);
        if (!server || !from || !v['email-to'])
            return [];
        return [emailChannel({ server, insecure: v['smtp-insecure'], from, to: v['email-to'] })];
    }
});

;// CONCATENATED MODULE: ../../packages/notify/src/channels/registry.ts
/**
 * Every notify channel, registered once. notify's inputs, secret masking,
 * combination checks and the channels it sends to are derived from this
 * list: a new channel is its module (a ChannelKind) plus one entry here.
 */








const channelRegistry = (0,src/* registry */.u5)('channel', [
    slackKind,
    teamsKind,
    discordKind,
    webhookKind,
    githubKind,
    emailKind
]);
/**
 * Masks every channel's secrets in our own files too (parseInputs masks the
 * log), the tokens inside webhook URLs, and the parts a channel derives.
 */
function maskChannelSecrets(values) {
    (0,src/* maskKindSecrets */.IV)(channelRegistry, values);
    for (const kind of channelRegistry.kinds) {
        for (const name of kind.tokenUrls ?? [])
            maskUrlTokens(values[name]);
        for (const part of kind.secretParts?.(values) ?? [])
            (0,src/* maskSecret */.$l)(part);
    }
}
/** Each channel's combination checks, in registration order: the first problem throws InputError. */
function checkChannels(values) {
    for (const kind of channelRegistry.kinds)
        kind.check?.(values);
}
/** The configured channels, in registration order. */
function makeChannels(values, ctx) {
    return channelRegistry.kinds.flatMap((kind) => kind.make(values, ctx));
}

;// CONCATENATED MODULE: ../../packages/notify/src/index.ts




















/***/ })

};

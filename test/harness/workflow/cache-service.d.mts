/** One request the stand-in received, as a test checks it against @actions/cache's contract. */
export interface CacheServiceRequest {
  method: string
  path: string
  query: Record<string, string>
  /** The twirp method, for /twirp/…CacheService/<rpc>. */
  rpc?: 'GetCacheEntryDownloadURL' | 'CreateCacheEntry' | 'FinalizeCacheEntryUpload' | string
  auth?: 'bearer' | 'other' | 'none'
  /** The twirp request body (proto field names: key, restore_keys, version, size_bytes). */
  body?: Record<string, unknown>
  /** Blob requests: PutBlob, PutBlock or PutBlockList (uploads); bytes received; x-ms-blob-type. */
  op?: 'PutBlob' | 'PutBlock' | 'PutBlockList'
  bytes?: number
  blocks?: number
  blobType?: string
  status?: number
  /** The twirp response body (or twirp error {code, msg}). */
  response?: Record<string, unknown>
  error?: string
}

export interface CacheService {
  url: string
  env: { ACTIONS_CACHE_SERVICE_V2: string; ACTIONS_RESULTS_URL: string; ACTIONS_RUNTIME_TOKEN: string }
  requests: CacheServiceRequest[]
  dir: string
  close(): Promise<void>
}

export function start(options: { dir: string; token?: string }): Promise<CacheService>

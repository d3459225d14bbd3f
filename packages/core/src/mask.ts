/**
 * Secret masking. core.setSecret masks the runner's log, but not files we write
 * ourselves (job summary, JSON report): redact() covers those.
 */
import * as core from '@actions/core'

const secrets = new Set<string>()

/** Registers a secret (and, for URLs, their secret-bearing parts) for masking. */
export function maskSecret(value: string | undefined): void {
  if (!value) return
  const parts = [value]
  try {
    const u = new URL(value)
    // Webhook URLs carry their secret in the path or query: mask those too,
    // since an error may print the URL's pieces separately.
    if (u.pathname.length > 8) parts.push(u.pathname)
    if (u.search.length > 8) parts.push(u.search)
    if (u.password) parts.push(u.password)
  } catch {
    // not a URL
  }
  for (const p of parts) {
    if (p.length < 4) continue
    secrets.add(p)
    core.setSecret(p)
  }
}

/** Replaces every registered secret in text with ***. */
export function redact(text: string): string {
  let out = text
  // Longest first, so a URL is replaced whole rather than leaving its host.
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) {
    out = out.split(s).join('***')
  }
  return out
}

/** For tests. */
export function clearSecrets(): void {
  secrets.clear()
}

/**
 * Job summaries are GitHub-flavoured Markdown: GitHub renders it, and the
 * local demo can print it as it is.
 */
export function escapeCell(value: unknown): string {
  return showControls(String(value ?? ''))
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/\r?\n/g, ' ')
}

/**
 * Control characters (NUL, ESC, …; not tab or line ends) written as \xNN: a
 * response body in a summary must not carry raw bytes that end the text or
 * drive a terminal (the local demo prints summaries).
 */
export function showControls(text: string): string {
  return text.replace(
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`
  )
}

export function table(header: readonly string[], rows: ReadonlyArray<readonly unknown[]>): string {
  const line = (cells: readonly unknown[]) => `| ${cells.map(escapeCell).join(' | ')} |`
  return [line(header), `|${header.map(() => ' --- ').join('|')}|`, ...rows.map(line)].join('\n')
}

export function ms(value: number | undefined | null): string {
  if (value === undefined || value === null || Number.isNaN(value)) return '–'
  if (value >= 10_000) return `${(value / 1000).toFixed(1)} s`
  if (value >= 100) return `${Math.round(value)} ms`
  return `${value.toFixed(1)} ms`
}

export function percent(rate: number | undefined): string {
  if (rate === undefined || Number.isNaN(rate)) return '–'
  return `${(rate * 100).toFixed(rate === 0 || rate === 1 ? 0 : 2)}%`
}

export function verdict(ok: boolean, okText = 'pass', badText = 'fail'): string {
  return ok ? `✅ ${okText}` : `❌ ${badText}`
}

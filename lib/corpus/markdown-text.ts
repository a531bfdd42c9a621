/** One Markdown line as plain text: no heading or table-rule lines, no list markers, emphasis or link targets. */
export function cleanLine (raw: string): string {
  let line = raw.trim()
  if (line.startsWith('#') || /^\|?\s*:?-{3,}/.test(line)) return ''
  if (line.startsWith('|')) line = line.split('|').map((c) => c.trim()).filter(Boolean).join(': ')
  return line
    .replace(/^([-*+]|\d+[.)])\s+/, '')
    .replace(/\*\*|__|`/g, '')
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .trim()
}

/** A Markdown passage as plain text for display (headings dropped, markup removed, lines kept). */
export function plainText (markdown: string): string {
  return markdown.split('\n')
    .map((raw) => /^\s*[-*+]\s+/.test(raw) ? `• ${cleanLine(raw)}` : cleanLine(raw))
    .filter((line) => line !== '' && line !== '• ')
    .join('\n')
}

/**
 * PDF to Markdown with unpdf (https://github.com/unjs/unpdf, Mozilla's PDF.js for servers).
 * PDF text has no headings, only positioned runs of text in a font size, so lines are rebuilt
 * from the runs' positions and lines set larger than the body text become headings (the
 * largest size `#`, the next `##`, then `###`): a PDF exported from Word keeps its sections.
 */
import { getDocumentProxy } from 'unpdf'

export interface ConvertedPdf {
  markdown: string
  pages: number
  /** The PDF's metadata title. */
  title?: string
}

/** Why a PDF could not be read, in words for the build's report. */
export class PdfError extends Error {
  override name = 'PdfError'
}

interface Run { str: string, x: number, y: number, width: number, size: number, eol: boolean }
interface Line { text: string, y: number, size: number, page: number }

/** Lines this much larger than the body text are headings. */
const HEADING_RATIO = 1.15
const HEADING_MAX_CHARS = 120
/** "Version: 3.2", "Effective date: ...": such lines stay lines of their own, not one run-on paragraph. */
const LABEL_LINE = /^[A-Z][A-Za-z ]{1,24}:\s/

export async function pdfToMarkdown (bytes: Uint8Array): Promise<ConvertedPdf> {
  const pdf = await open(bytes)
  try {
    const lines: Line[] = []
    for (let page = 1; page <= pdf.numPages; page++) {
      const content = await (await pdf.getPage(page)).getTextContent()
      lines.push(...toLines(content.items.flatMap((item) => 'str' in item ? [toRun(item)] : []), page))
    }
    if (lines.every((l) => l.text.trim() === '')) {
      const pages = `${pdf.numPages} page${pdf.numPages === 1 ? '' : 's'}`
      throw new PdfError(`has no text layer (${pages} of images: a scanned PDF? run OCR on it first)`)
    }
    const info = (await pdf.getMetadata()).info as { Title?: unknown }
    const title = typeof info.Title === 'string' ? info.Title.trim() : ''
    return { markdown: toMarkdown(lines), pages: pdf.numPages, ...(title ? { title } : {}) }
  } finally {
    await pdf.destroy()
  }
}

async function open (bytes: Uint8Array): ReturnType<typeof getDocumentProxy> {
  try {
    // PDF.js may take the buffer over (transfer it to its worker): give it a copy.
    return await getDocumentProxy(new Uint8Array(bytes), { verbosity: 0, isEvalSupported: false, stopAtErrors: true })
  } catch (err) {
    const name = (err as { name?: unknown } | null)?.name
    const message = err instanceof Error ? err.message : String(err)
    if (name === 'PasswordException') throw new PdfError('is encrypted (password protected): save it without a password')
    throw new PdfError(`is not a readable PDF (${message})`)
  }
}

function toRun (item: { str: string, transform: number[], width: number, hasEOL: boolean }): Run {
  const [a = 0, b = 0, c = 0, d = 0, x = 0, y = 0] = item.transform
  return {
    str: item.str,
    x,
    y,
    width: item.width,
    size: Math.round(Math.max(Math.hypot(c, d), Math.hypot(a, b)) * 2) / 2,
    eol: item.hasEOL
  }
}

/** Runs on one baseline form a line; a gap wider than a fraction of the font size is a space. */
function toLines (runs: Run[], page: number): Line[] {
  const lines: Line[] = []
  let current: (Line & { end: number }) | undefined
  for (const run of runs) {
    const sameLine = current !== undefined && Math.abs(run.y - current.y) < Math.max(run.size, 1) * 0.5
    if (run.str !== '') {
      if (current === undefined || !sameLine) {
        if (current !== undefined) lines.push(current)
        current = { text: run.str, y: run.y, size: run.size, page, end: run.x + run.width }
      } else {
        const gap = run.x - current.end > run.size * 0.15 && !/\s$/.test(current.text) && !/^\s/.test(run.str)
        current.text += (gap ? ' ' : '') + run.str
        current.size = Math.max(current.size, run.size)
        current.end = run.x + run.width
      }
    }
    if (run.eol && current !== undefined) {
      lines.push(current)
      current = undefined
    }
  }
  if (current !== undefined) lines.push(current)
  return lines.map(({ text, y, size }) => ({ text: text.replace(/\s+/g, ' ').trim(), y, size, page })).filter((l) => l.text !== '')
}

function toMarkdown (lines: Line[]): string {
  const body = bodySize(lines)
  const headingSizes = [...new Set(lines.filter((l) => isHeading(l, body)).map((l) => l.size))].sort((a, b) => b - a)
  const blocks: string[] = []
  let paragraph: string[] = []
  const flush = (): void => {
    if (paragraph.length > 0) blocks.push(joinLines(paragraph))
    paragraph = []
  }
  lines.forEach((line, i) => {
    const prev = lines[i - 1]
    if (isHeading(line, body)) {
      flush()
      const level = Math.min(headingSizes.indexOf(line.size) + 1, 3)
      blocks.push(`${'#'.repeat(level)} ${line.text}`)
      return
    }
    const bullet = /^[•●▪◦‣∙·-]\s*/.exec(line.text)
    const gap = prev === undefined || prev.page !== line.page || prev.y - line.y > line.size * 1.6
    if (gap || bullet !== null || LABEL_LINE.test(line.text) || isHeading(prev, body)) flush()
    paragraph.push(bullet === null ? line.text : `- ${line.text.slice(bullet[0].length)}`)
  })
  flush()
  return blocks.join('\n\n') + '\n'
}

/** The size most characters are set in. */
function bodySize (lines: Line[]): number {
  const chars = new Map<number, number>()
  for (const l of lines) chars.set(l.size, (chars.get(l.size) ?? 0) + l.text.length)
  let best = 0
  for (const [size, count] of chars) if (count > (chars.get(best) ?? 0)) best = size
  return best
}

function isHeading (line: Line | undefined, body: number): boolean {
  return line !== undefined && line.size >= body * HEADING_RATIO && line.text.length <= HEADING_MAX_CHARS
}

/** Lines of one paragraph, joined; a word hyphenated across lines is mended. */
function joinLines (lines: string[]): string {
  return lines.reduce((text, line) => /[a-z]-$/.test(text) && /^[a-z]/.test(line) ? text.slice(0, -1) + line : `${text} ${line}`)
}

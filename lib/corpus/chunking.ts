/**
 * Heading-aware Markdown chunking.
 *
 * A document splits into blocks: the preamble (the `# Title` and any text before the first `##`) and
 * one block per `##` section with its `###` subsections. A block that fits the token budget is one
 * chunk. A larger block is packed from its pieces (the section's own text, then each `###`
 * subsection); a piece still over budget is cut into windows of whole sentences that overlap
 * by a few sentences. Chunks under `minTokens` then join a neighbour: that is the only reason a chunk
 * spans two `##` sections. Tokens are estimated as whitespace-separated words times `tokensPerWord`
 * (about 1.3 sentencepiece pieces per English word; this corpus's Markdown, numbers and names
 * measure nearer 1.6 with USE-Lite's vocabulary).
 *
 * USE-Lite reads at most 128 tokens of a text, less than most chunks hold, so a chunk is embedded
 * as the mean of its windows of about `embedWindowTokens`, each prefixed with the heading path
 * (`embeddingTexts`): the vector then reflects the whole chunk, not only its opening.
 */
export interface ChunkerParams {
  /** Changes whenever the algorithm or the embedded text's shape changes, so stale indexes are detected. */
  algorithm: string
  maxTokens: number
  minTokens: number
  overlapTokens: number
  tokensPerWord: number
  embedWindowTokens: number
}

export const CHUNKER_PARAMS: Readonly<ChunkerParams> = Object.freeze({
  algorithm: 'heading-aware/v1',
  maxTokens: 280,
  minTokens: 130,
  overlapTokens: 40,
  tokensPerWord: 1.3,
  embedWindowTokens: 80
})

export interface ChunkSource {
  id: string
  title: string
  markdown: string
}

export interface Chunk {
  /** `${document_id}#${ordinal}` */
  id: string
  document_id: string
  ordinal: number
  /** Heading path, e.g. "Paid Time Off > Accrual". */
  heading: string
  text: string
  /** Offsets into the document's Markdown body: `markdown.slice(start, end) === text`. */
  start: number
  end: number
}

interface Range { start: number, end: number }

interface Piece extends Range {
  path: string[]
  preamble: boolean
}

interface Draft extends Range {
  pieces: Piece[]
}

interface Heading extends Range {
  level: number
  title: string
}

const HEADING = /^(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/
const FENCE = /^[ \t]{0,3}(`{3,}|~{3,})/

export function estimateTokens (text: string, params: Pick<ChunkerParams, 'tokensPerWord'> = CHUNKER_PARAMS): number {
  const words = text.match(/\S+/g)?.length ?? 0
  return Math.ceil(words * params.tokensPerWord)
}

export function chunkDocument (doc: ChunkSource, params: Readonly<ChunkerParams> = CHUNKER_PARAMS): Chunk[] {
  checkParams(params)
  const body = doc.markdown
  const tokens = (r: Range): number => estimateTokens(body.slice(r.start, r.end), params)
  const drafts = buildBlocks(body, doc.title).flatMap((block) => chunkBlock(block, body, params, tokens))
  return mergeSmall(drafts, params, tokens).map((draft, ordinal) => ({
    id: `${doc.id}#${ordinal}`,
    document_id: doc.id,
    ordinal,
    heading: headingOf(draft.pieces, tokens),
    text: body.slice(draft.start, draft.end),
    start: draft.start,
    end: draft.end
  }))
}

/**
 * The texts whose mean vector represents a chunk: windows of whole sentences of about
 * `embedWindowTokens`, each after the heading path, which gives a window its context.
 */
export function embeddingTexts (chunk: Pick<Chunk, 'heading' | 'text'>, params: Readonly<ChunkerParams> = CHUNKER_PARAMS): string[] {
  const { text } = chunk
  const budget = { ...params, maxTokens: params.embedWindowTokens }
  const tokens = (r: Range): number => estimateTokens(text.slice(r.start, r.end), params)
  const units = splitUnits(text, { start: 0, end: text.length }, 0, budget, tokens)
  const windows: Range[] = []
  for (const unit of units) {
    const last = windows[windows.length - 1]
    if (last !== undefined && tokens({ start: last.start, end: unit.end }) <= budget.maxTokens) last.end = unit.end
    else windows.push({ ...unit })
  }
  return windows.map((w) => `${chunk.heading}\n${text.slice(w.start, w.end).replace(/^#{1,6}[ \t]+/gm, '')}`)
}

function checkParams (p: Readonly<ChunkerParams>): void {
  const ok = p.maxTokens > 0 && p.minTokens >= 0 && p.minTokens < p.maxTokens &&
    p.overlapTokens >= 0 && p.overlapTokens < p.maxTokens && p.tokensPerWord > 0 && p.embedWindowTokens > 0
  if (!ok) throw new RangeError(`invalid chunker parameters ${JSON.stringify(p)}`)
}

function parseHeadings (body: string): Heading[] {
  const headings: Heading[] = []
  let fence: string | undefined
  let offset = 0
  for (const line of body.split('\n')) {
    const fenceMatch = FENCE.exec(line)
    if (fenceMatch !== null) {
      const marker = fenceMatch[1] ?? ''
      if (fence === undefined) fence = marker
      else if (marker[0] === fence[0] && marker.length >= fence.length) fence = undefined
    } else if (fence === undefined) {
      const match = HEADING.exec(line)
      if (match !== null) headings.push({
        level: (match[1] ?? '').length,
        title: (match[2] ?? '').trim(),
        start: offset,
        end: offset + line.length
      })
    }
    offset += line.length + 1
  }
  return headings
}

/** Each block is a list of pieces; blocks follow the `##` sections, pieces the `###` ones. */
function buildBlocks (body: string, title: string): Piece[][] {
  const blocks: Piece[][] = []
  let current: Piece[] = []
  let section = [title]
  let piece = { start: 0, path: [title] }
  let preamble = true
  const closePiece = (end: number): void => {
    const range = trim(body, { start: piece.start, end })
    if (range.end > range.start) current.push({ ...range, path: piece.path, preamble })
  }
  for (const h of parseHeadings(body)) {
    if (h.level <= 2 && !(preamble && h.level === 1)) {
      closePiece(h.start)
      if (current.length > 0) blocks.push(current)
      current = []
      preamble = false
      section = [title, h.title]
      piece = { start: h.start, path: section }
    } else if (h.level === 3 && !preamble) {
      closePiece(h.start)
      piece = { start: h.start, path: [...section, h.title] }
    }
  }
  closePiece(body.length)
  if (current.length > 0) blocks.push(current)
  return blocks
}

function trim (body: string, r: Range): Range {
  let { start, end } = r
  while (start < end && /\s/.test(body[start] ?? '')) start++
  while (end > start && /\s/.test(body[end - 1] ?? '')) end--
  return { start, end }
}

function chunkBlock (block: Piece[], body: string, params: Readonly<ChunkerParams>, tokens: (r: Range) => number): Draft[] {
  const whole = { start: block[0]?.start ?? 0, end: block[block.length - 1]?.end ?? 0 }
  if (tokens(whole) <= params.maxTokens) return [{ ...whole, pieces: block }]
  const drafts: Draft[] = []
  let open: Draft | undefined
  for (const piece of block) {
    if (tokens(piece) > params.maxTokens) {
      const lead = open !== undefined && tokens(open) < params.minTokens ? open : undefined
      if (open !== undefined && lead === undefined) drafts.push(open)
      open = undefined
      drafts.push(...splitPiece(piece, lead, body, params, tokens))
    } else if (open !== undefined && tokens({ start: open.start, end: piece.end }) <= params.maxTokens) {
      open = { start: open.start, end: piece.end, pieces: [...open.pieces, piece] }
    } else {
      if (open !== undefined) drafts.push(open)
      open = { start: piece.start, end: piece.end, pieces: [piece] }
    }
  }
  if (open !== undefined) drafts.push(open)
  return drafts
}

/**
 * Windows of whole sentences (or words, for a run-on sentence) with a trailing-sentence overlap.
 * A small lead (typically a `##` line with no text of its own) opens the first window.
 */
function splitPiece (
  piece: Piece,
  lead: Draft | undefined,
  body: string,
  params: Readonly<ChunkerParams>,
  tokens: (r: Range) => number
): Draft[] {
  const units = [...(lead === undefined ? [] : [lead]), ...splitUnits(body, piece, 0, params, tokens)]
  const span = (i: number, j: number): Range => ({ start: units[i]?.start ?? 0, end: units[j]?.end ?? 0 })
  const drafts: Draft[] = []
  let i = 0
  while (i < units.length) {
    let j = i
    while (j + 1 < units.length && tokens(span(i, j + 1)) <= params.maxTokens) j++
    const pieces = i === 0 && lead !== undefined ? [...lead.pieces, piece] : [piece]
    drafts.push({ ...span(i, j), pieces })
    if (j === units.length - 1) break
    let next = j + 1
    while (next - 1 > i && tokens(span(next - 1, j)) <= params.overlapTokens) next--
    while (next <= j && tokens(span(next, j + 1)) > params.maxTokens) next++
    i = next
  }
  return drafts
}

const SEPARATORS = [/\n[ \t]*\n/g, /\n/g, /(?<=[.!?:;])\s+/g, /\s+/g]

/** Sentence-sized units: paragraphs, then lines, then sentences, then words, each only when needed. */
function splitUnits (body: string, range: Range, level: number, params: Readonly<ChunkerParams>, tokens: (r: Range) => number): Range[] {
  const separator = SEPARATORS[level]
  if (separator === undefined) return [range]
  const parts: Range[] = []
  let start = range.start
  for (const match of body.slice(range.start, range.end).matchAll(separator)) {
    parts.push({ start, end: range.start + match.index })
    start = range.start + match.index + match[0].length
  }
  parts.push({ start, end: range.end })
  return parts
    .map((part) => trim(body, part))
    .filter((part) => part.end > part.start)
    .flatMap((part) => level < 2 || tokens(part) > params.maxTokens ? splitUnits(body, part, level + 1, params, tokens) : [part])
}

function mergeSmall (drafts: Draft[], params: Readonly<ChunkerParams>, tokens: (r: Range) => number): Draft[] {
  const out = [...drafts]
  const fits = (a: Draft, b: Draft): boolean => tokens({ start: a.start, end: b.end }) <= params.maxTokens
  const join = (a: Draft, b: Draft): Draft => ({ start: a.start, end: b.end, pieces: [...a.pieces, ...b.pieces] })
  for (let i = 0; i < out.length;) {
    const draft = out[i] as Draft
    const prev = out[i - 1]
    const next = out[i + 1]
    const preambleOnly = draft.pieces.every((p) => p.preamble)
    if (tokens(draft) >= params.minTokens) {
      i++
    } else if (!preambleOnly && prev !== undefined && fits(prev, draft)) {
      out.splice(i - 1, 2, join(prev, draft))
    } else if (next !== undefined && fits(draft, next)) {
      out.splice(i, 2, join(draft, next))
    } else {
      i++
    }
  }
  return out
}

/**
 * The heading path of the section holding most of the chunk's text (the preamble counts only when
 * it is alone), cut to what that section's pieces share.
 */
function headingOf (pieces: Piece[], tokens: (r: Range) => number): string {
  const body = pieces.filter((p) => !p.preamble)
  const candidates = body.length > 0 ? body : pieces
  const weight = new Map<string, number>()
  for (const p of candidates) weight.set(sectionKey(p), (weight.get(sectionKey(p)) ?? 0) + tokens(p))
  let best = sectionKey(candidates[0] as Piece)
  for (const [key, w] of weight) if (w > (weight.get(best) ?? 0)) best = key
  const paths = candidates.filter((p) => sectionKey(p) === best).map((p) => p.path)
  const first = paths[0] ?? []
  let n = first.length
  for (const path of paths) {
    let k = 0
    while (k < n && path[k] === first[k]) k++
    n = k
  }
  return first.slice(0, Math.max(n, 1)).join(' > ')
}

function sectionKey (piece: Piece): string {
  return piece.path.slice(0, 2).join('\u0000')
}

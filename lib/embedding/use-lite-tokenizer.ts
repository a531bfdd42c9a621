/** Ids below this are `<unk>` and control symbols: the reference tokenizer never matches them in text. */
const RESERVED_SYMBOLS = 6
/** Low enough that any spelling-out of a control symbol's text wins over the symbol. */
const UNMATCHABLE_SCORE = -1000
const SPACE = '\u2581'

interface TokenizerJson {
  model: { type: string, unk_id: number, vocab: Array<[string, number]> }
}

/**
 * The HF `tokenizers` recipe for the USE-Lite vocabulary: NFKC, `▁` prepended to non-empty text
 * and replacing each space, and a Unigram model over the vocabulary (null scores read as 0,
 * unknown characters to id 0, runs of unknowns fused). Control symbols 1–5 get a score no
 * segmentation would choose (the reference never matches them), and a leading `▁` before `:` is
 * split off, because the reference's Viterbi pass never lets a zero-scored piece (`▁:`, `▁:)`)
 * start the text.
 *
 * HF's Unigram breaks exact score ties the other way from the reference (`999` gives 9|99
 * instead of 99|9), so the runtime tokenises with `UseLiteTokenizer` over this same file.
 */
export function useLiteTokenizerJson (vocab: Array<[string, number | null]>): string {
  const pieces = vocab.map(([piece, score], id): [string, number] =>
    [piece, id > 0 && id < RESERVED_SYMBOLS ? UNMATCHABLE_SCORE : score ?? 0])
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [],
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'NFKC' },
        { type: 'Prepend', prepend: SPACE },
        { type: 'Replace', pattern: { String: ' ' }, content: SPACE }
      ]
    },
    pre_tokenizer: { type: 'Split', pattern: { Regex: `\\A${SPACE}(?=:)` }, behavior: 'Isolated', invert: false },
    post_processor: null,
    decoder: { type: 'Metaspace', replacement: SPACE, prepend_scheme: 'always', split: false },
    model: { type: 'Unigram', unk_id: 0, vocab: pieces, byte_fallback: false }
  }
  return JSON.stringify(tokenizer)
}

interface TrieNode {
  children: Map<string, TrieNode>
  /** Set when a piece ends here. */
  piece?: { length: number, score: number, id: number }
}

/**
 * USE-Lite's tokenizer, step for step the reference's (`@tensorflow-models/universal-sentence-encoder`
 * Tokenizer, a port of SentencePiece `EncodeAsIds`), including its tie-breaking (the later
 * start wins) and its treatment of a running score of exactly 0 as "no path yet". It reads the
 * vocabulary from the tokenizer.json above, leaving out the unknown piece and the control
 * symbols (marked by UNMATCHABLE_SCORE), as the reference's trie does.
 */
export class UseLiteTokenizer {
  private readonly root: TrieNode = { children: new Map() }
  private readonly lengths: number[]

  constructor (pieces: Array<[string, number]>, private readonly unkId: number) {
    this.lengths = pieces.map(([piece]) => piece.length)
    pieces.forEach(([piece, score], id) => { if (id !== unkId && score > UNMATCHABLE_SCORE) this.insert(piece, score, id) })
  }

  static fromJson (json: string): UseLiteTokenizer {
    const parsed = JSON.parse(json) as TokenizerJson
    if (parsed.model?.type !== 'Unigram') throw new Error('tokenizer.json: expected a Unigram model')
    return new UseLiteTokenizer(parsed.model.vocab, parsed.model.unk_id)
  }

  encode (text: string): number[] {
    const normalized = text.normalize('NFKC')
    if (!normalized.length) return []
    const symbols = [...(SPACE + normalized.replaceAll(' ', SPACE))]
    const words = this.viterbi(symbols)
    const reversed: number[] = []
    for (let end = symbols.length; end > 0; end -= this.lengths[words[end] as number] as number) reversed.push(words[end] as number)
    return this.fuseUnknowns(reversed).reverse()
  }

  private insert (piece: string, score: number, id: number): void {
    let node = this.root
    for (const symbol of piece) {
      let child = node.children.get(symbol)
      if (!child) {
        child = { children: new Map() }
        node.children.set(symbol, child)
      }
      node = child
    }
    node.piece = { length: [...piece].length, score, id }
  }

  /**
   * The last piece of the best path to every end position. Relaxing forward from each start in
   * ascending order compares the candidates for an end in the same order as the reference's
   * pass over its lattice (ascending start), so ties and the 0-score quirk resolve alike.
   */
  private viterbi (symbols: string[]): Int32Array {
    const n = symbols.length
    const best = new Float64Array(n + 1)
    const words = new Int32Array(n + 1)
    const relax = (end: number, score: number, id: number, from: number): void => {
      const candidate = score + (best[from] as number)
      if (best[end] === 0 || candidate >= (best[end] as number)) {
        best[end] = candidate
        words[end] = id
      }
    }
    for (let start = 0; start < n; start++) {
      let matched = false
      let node = this.root.children.get(symbols[start] as string)
      for (let i = start; node && i < n; i++) {
        if (node.piece) {
          relax(start + node.piece.length, node.piece.score, node.piece.id, start)
          matched = true
        }
        node = node.children.get(symbols[i + 1] as string)
      }
      if (!matched) relax(start + 1, 0, this.unkId, start)
    }
    return words
  }

  /** Consecutive unknowns become one, scanning from the end as the reference does. */
  private fuseUnknowns (reversed: number[]): number[] {
    return reversed.filter((id, i) => !(id === this.unkId && reversed[i - 1] === this.unkId))
  }
}

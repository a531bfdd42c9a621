/** Ids below this are `<unk>`-like and control symbols: the reference tokenizer never matches them in text. */
const RESERVED_SYMBOLS = 6
/** Low enough that any spelling out of a control symbol's text wins over the symbol. */
const UNMATCHABLE_SCORE = -1000
const SPACE = '\u2581'

/**
 * The HF `tokenizers` recipe that reproduces the USE-Lite reference tokenizer (tfjs-models'
 * port of SentencePiece `EncodeAsIds`) id for id: NFKC, `▁` prepended to non-empty text and
 * replacing each space, and a Unigram model over the vocabulary (null scores read as 0, unknown
 * characters to id 0, runs of unknowns fused).
 *
 * Two quirks of the reference are reproduced on purpose:
 * - control symbols 1–5 are not in its trie, so `<s>` in text is spelled out;
 * - its Viterbi pass treats a running score of exactly 0 as "no path yet", so a zero-scored piece
 *   (`▁:`, `▁:)`, …) never starts the text. Splitting a leading `▁` off before `:` gives the
 *   same segmentation.
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

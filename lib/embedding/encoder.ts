/** One model family's tokenizer and graph behind the common embedder. */
export interface Encoder {
  /** Token ids per text, already truncated to the model's limit and never empty. */
  tokenize (texts: string[]): Promise<number[][]>
  /** Raw (not yet normalised) sentence vectors for one batch of tokenised texts. */
  run (batch: number[][]): Promise<Float32Array[]>
  release (): Promise<void>
}

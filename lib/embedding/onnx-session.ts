import type { InferenceSession, Tensor } from 'onnxruntime-node'
import type { Tokenizer } from 'tokenizers'

export interface SessionOptions {
  intraOpNumThreads: number
}

export interface OpenSession {
  session: InferenceSession
  /** The runtime's Tensor class, to build feeds with. */
  Tensor: typeof Tensor
}

/**
 * Opens an inference session from the file path: onnxruntime reads the file natively instead of
 * through a JS Buffer (less RSS), and keeps weight prepacking (faster matmuls; bench:embed has the
 * figures). onnxruntime-node is imported here, not at module load, so starting the service
 * stays cheap until the first embedding.
 */
export async function openSession (modelPath: string, opts: SessionOptions): Promise<OpenSession> {
  // Otherwise onnxruntime writes a device id and a telemetry database under ~/.cache/Microsoft at run time.
  process.env.ORT_DISABLE_TELEMETRY ??= '1'
  const ort = await import('onnxruntime-node')
  const session = await ort.InferenceSession.create(modelPath, {
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    intraOpNumThreads: opts.intraOpNumThreads,
    interOpNumThreads: 1,
    // The arena keeps the peak of every batch size ever run; without it RSS stays lower under
    // concurrent chat, at no measurable speed cost for a model this small.
    enableCpuMemArena: false
  })
  return { session, Tensor: ort.Tensor }
}

export async function loadTokenizer (path: string): Promise<Tokenizer> {
  const { Tokenizer } = await import('tokenizers')
  return Tokenizer.fromFile(path)
}

import onnxProto from 'onnx-proto'
import { attribute, ElemType, tensorProto } from './onnx-builder.js'

const { onnx } = onnxProto
type Node = onnxProto.onnx.INodeProto
type Tensor = onnxProto.onnx.ITensorProto

/** Weights stored as 8-bit integers: a quarter of the memory, and faster per question (bench:embed). */
export const WEIGHT_QUANTIZATION = 'int8-blockwise'

/** Weights per scale in a MatMul's quantized blocks (along K). */
const BLOCK = 32
/** Smaller weights stay float: their share of memory is negligible. */
const MIN_ELEMENTS = 65_536
const MS_DOMAIN = 'com.microsoft'

export interface QuantizeReport {
  matmuls: number
  tables: number
  bytesBefore: number
  bytesAfter: number
}

/**
 * Stores a float graph's large weights as int8, without touching activations:
 * - a MatMul by a constant [K, N] matrix becomes onnxruntime's MatMulNBits (8 bits, one scale per
 *   32 weights of a column; accuracy level 4 computes in int8 with each row of A quantized on its
 *   own, so a text's vector does not depend on what else is in its batch);
 * - a Gather from a constant [rows, width] table gathers int8 rows and their scales, then Cast and
 *   Mul restore floats for only the rows looked up.
 * Symmetric rounding, deterministic: the same model gives the same bytes.
 */
export function quantizeWeights (model: Uint8Array): { model: Uint8Array, report: QuantizeReport } {
  const proto = onnx.ModelProto.decode(model)
  const graph = proto.graph
  if (!graph) throw new Error('quantize: the model has no graph')
  const weights = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]))
  const consumers = new Map<string, number>()
  for (const n of graph.node ?? []) for (const input of n.input ?? []) consumers.set(input, (consumers.get(input) ?? 0) + 1)
  const candidate = (name: string | undefined): Tensor | undefined => {
    const w = name === undefined ? undefined : weights.get(name)
    const large = w && w.dataType === ElemType.float32 && w.dims?.length === 2 && elements(w) >= MIN_ELEMENTS
    return large && consumers.get(name as string) === 1 ? w : undefined
  }

  const report: QuantizeReport = { matmuls: 0, tables: 0, bytesBefore: 0, bytesAfter: 0 }
  const replaced = new Set<string>()
  const added: Tensor[] = []
  const nodes: Node[] = []
  for (const n of graph.node ?? []) {
    const weight = n.opType === 'MatMul' && !n.domain ? candidate(n.input?.[1]) : undefined
    const matrix = weight && dimsOf(weight)[0] % BLOCK === 0 ? weight : undefined
    const table = n.opType === 'Gather' && !n.domain && axisOf(n) === 0 ? candidate(n.input?.[0]) : undefined
    const w = matrix ?? table
    if (!w) {
      nodes.push(n)
      continue
    }
    replaced.add(w.name as string)
    report.bytesBefore += elements(w) * 4
    const { tensors, nodes: rewritten } = matrix ? matMulNBits(n, w) : int8Gather(n, w)
    report.bytesAfter += tensors.reduce((sum, t) => sum + (t.rawData?.byteLength ?? 0), 0)
    if (matrix) report.matmuls++
    else report.tables++
    added.push(...tensors)
    nodes.push(...rewritten)
  }
  graph.node = nodes
  graph.initializer = [...(graph.initializer ?? []).filter((t) => !replaced.has(t.name ?? '')), ...added]
  if (report.matmuls > 0 && !(proto.opsetImport ?? []).some((o) => o.domain === MS_DOMAIN)) {
    proto.opsetImport = [...(proto.opsetImport ?? []), { domain: MS_DOMAIN, version: 1 }]
  }
  return { model: onnx.ModelProto.encode(proto).finish(), report }
}

function matMulNBits (n: Node, w: Tensor): { tensors: Tensor[], nodes: Node[] } {
  const [k, cols] = dimsOf(w)
  const f = floats(w)
  const blocks = k / BLOCK
  // MatMulNBits wants B transposed and blocked: [N][K/BLOCK][BLOCK], unsigned with zero point 128.
  const q = new Uint8Array(cols * k)
  const scales = new Float32Array(cols * blocks)
  for (let c = 0; c < cols; c++) {
    for (let b = 0; b < blocks; b++) {
      const scale = int8Scale(f, b * BLOCK * cols + c, cols, BLOCK)
      scales[c * blocks + b] = scale
      for (let r = b * BLOCK; r < (b + 1) * BLOCK; r++) q[c * k + r] = Math.round((f[r * cols + c] as number) / scale) + 128
    }
  }
  const name = w.name as string
  return {
    tensors: [
      tensorProto(`${name}/int8`, 'uint8', [cols, blocks, BLOCK], q),
      tensorProto(`${name}/scales`, 'float32', [cols * blocks], scales)
    ],
    nodes: [{
      name: n.name,
      opType: 'MatMulNBits',
      domain: MS_DOMAIN,
      input: [(n.input as string[])[0] as string, `${name}/int8`, `${name}/scales`],
      output: n.output,
      attribute: [
        attribute('K', { i: k }),
        attribute('N', { i: cols }),
        attribute('bits', { i: 8 }),
        attribute('block_size', { i: BLOCK }),
        attribute('accuracy_level', { i: 4 })
      ]
    }]
  }
}

function int8Gather (n: Node, w: Tensor): { tensors: Tensor[], nodes: Node[] } {
  const [rows, width] = dimsOf(w)
  const f = floats(w)
  const q = new Int8Array(rows * width)
  const scales = new Float32Array(rows)
  for (let r = 0; r < rows; r++) {
    const scale = int8Scale(f, r * width, 1, width)
    scales[r] = scale
    for (let c = 0; c < width; c++) q[r * width + c] = Math.round((f[r * width + c] as number) / scale)
  }
  const name = w.name as string
  const ids = (n.input as string[])[1] as string
  const out = (n.output as string[])[0] as string
  const base = n.name ?? out
  return {
    tensors: [
      tensorProto(`${name}/int8`, 'int8', [rows, width], q),
      tensorProto(`${name}/scales`, 'float32', [rows], scales),
      tensorProto(`${name}/last_axis`, 'int64', [1], BigInt64Array.of(-1n))
    ],
    nodes: [
      {
        name: `${base}/int8`,
        opType: 'Gather',
        input: [`${name}/int8`, ids],
        output: [`${out}/int8`],
        attribute: [attribute('axis', { i: 0 })]
      },
      {
        name: `${base}/scales`,
        opType: 'Gather',
        input: [`${name}/scales`, ids],
        output: [`${out}/scales`],
        attribute: [attribute('axis', { i: 0 })]
      },
      {
        name: `${base}/float`,
        opType: 'Cast',
        input: [`${out}/int8`],
        output: [`${out}/float`],
        attribute: [attribute('to', { i: ElemType.float32 })]
      },
      {
        name: `${base}/scales_column`,
        opType: 'Unsqueeze',
        input: [`${out}/scales`, `${name}/last_axis`],
        output: [`${out}/scales_column`]
      },
      { name: `${base}/dequantize`, opType: 'Mul', input: [`${out}/float`, `${out}/scales_column`], output: [out] }
    ]
  }
}

/** The symmetric int8 scale of `count` values of f from `start`, `stride` apart: their largest magnitude maps to 127. */
function int8Scale (f: Float32Array, start: number, stride: number, count: number): number {
  let max = 0
  for (let i = 0; i < count; i++) max = Math.max(max, Math.abs(f[start + i * stride] as number))
  return max / 127 || 1
}

function axisOf (n: Node): number {
  return Number(n.attribute?.find((a) => a.name === 'axis')?.i ?? 0)
}

function dimsOf (w: Tensor): [number, number] {
  const [a, b] = (w.dims ?? []).map(Number)
  return [a as number, b as number]
}

function elements (w: Tensor): number {
  return (w.dims ?? []).map(Number).reduce((a, b) => a * b, 1)
}

function floats (w: Tensor): Float32Array {
  const bytes = w.rawData
  if (bytes && bytes.byteLength === elements(w) * 4) return new Float32Array(new Uint8Array(bytes).buffer)
  if (w.floatData?.length === elements(w)) return Float32Array.from(w.floatData)
  throw new Error(`quantize: ${w.name ?? '?'} has no float data`)
}

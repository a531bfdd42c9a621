import { ElemType, GraphBuilder, type Attr, type ElemTypeName } from './onnx-builder.js'

/** The parts of a TF.js `model.json` graph the converter reads. */
export interface TfNode {
  name: string
  op: string
  input?: string[]
  attr?: Record<string, TfAttr>
}

export interface TfAttr {
  b?: boolean
  i?: string | number
  f?: number
  s?: string | number[]
  type?: number
  list?: { i?: Array<string | number> }
  shape?: { dim?: Array<{ size: string | number }> }
}

export interface TfWeightSpec {
  name: string
  shape: number[]
  dtype: string
  quantization?: unknown
}

export interface ConstTensor {
  type: ElemTypeName
  dims: number[]
  data: Float32Array | Int32Array | BigInt64Array | Uint8Array
}

export interface ConvertOptions {
  graphName: string
  /** Placeholder names, in the order the ONNX inputs should have, with the symbolic names of their unknown dimensions. */
  inputs: Array<{ name: string, dynamicDims: string[] }>
  /** The TF tensor to expose, and the ONNX name and shape to give it. */
  output: { tensor: string, name: string, dims: Array<number | string> }
}

const LARGE = Number.MAX_SAFE_INTEGER

/** TF `DataType` codes to the element types used here (TF.js graphs carry the same codes). */
const TF_TYPES: Record<number, ElemTypeName> = { 1: 'float32', 3: 'int32', 9: 'int64', 10: 'bool' }

/**
 * Splits the concatenated weight shards into named tensors. TF.js stores int64 constants as
 * int32; the node's own `dtype` says what the graph meant, so those are widened back.
 */
export function readWeights (specs: TfWeightSpec[], data: Uint8Array, nodes: TfNode[]): Map<string, ConstTensor> {
  const declared = new Map(nodes.filter((n) => n.op === 'Const').map((n) => [n.name, tfType(n.attr?.dtype?.type)]))
  const weights = new Map<string, ConstTensor>()
  let offset = 0
  for (const spec of specs) {
    if (spec.quantization !== undefined) throw new Error(`weight ${spec.name}: quantized weights are not supported`)
    const size = spec.shape.reduce((a, b) => a * b, 1)
    const bytes = data.slice(offset, offset + size * 4)
    offset += size * 4
    if (spec.dtype !== 'float32' && spec.dtype !== 'int32') throw new Error(`weight ${spec.name}: dtype ${spec.dtype} not supported`)
    const stored = spec.dtype === 'float32' ? new Float32Array(bytes.buffer) : new Int32Array(bytes.buffer)
    const type = declared.get(spec.name) ?? spec.dtype
    weights.set(spec.name, { type, dims: spec.shape, data: convertData(stored, type) })
  }
  if (offset !== data.byteLength) throw new Error(`weights: read ${offset} of ${data.byteLength} bytes`)
  return weights
}

function convertData (stored: Float32Array | Int32Array, type: ElemTypeName): ConstTensor['data'] {
  if (type === 'int64') return BigInt64Array.from(stored, (v) => BigInt(v))
  if (type === 'bool') return Uint8Array.from(stored, (v) => (v !== 0 ? 1 : 0))
  return stored
}

function tfType (code: number | undefined): ElemTypeName {
  const type = code === undefined ? undefined : TF_TYPES[code]
  if (type === undefined) throw new Error(`TF dtype ${String(code)} not supported`)
  return type
}

interface Value { name: string, type: ElemTypeName }

/**
 * Converts a TF.js graph op by op into an ONNX graph (opset 18). Each TF op becomes its ONNX
 * counterpart and every tensor keeps its TF dtype; int32 values are cast to int64 only where
 * ONNX demands it (shapes, gather/scatter indices), and constant axes, perms and slice bounds
 * become attributes or int64 initializers. Only nodes the output depends on are emitted, in a
 * deterministic depth-first order.
 */
export function convertTfjsGraph (nodes: TfNode[], weights: Map<string, ConstTensor>, opts: ConvertOptions): GraphBuilder {
  const converter = new Converter(nodes, weights, opts.graphName)
  for (const input of opts.inputs) converter.placeholder(input.name, input.dynamicDims)
  const out = converter.value(opts.output.tensor)
  converter.b.op('Identity', [out.name], opts.output.name)
  converter.b.output(opts.output.name, out.type, opts.output.dims)
  return converter.b
}

type Handler = (c: Converter, n: TfNode) => Value | Value[]

class Converter {
  readonly b: GraphBuilder
  private readonly byName: Map<string, TfNode>
  private readonly values = new Map<string, Value[]>()
  private readonly int64Casts = new Map<string, string>()
  private readonly visiting = new Set<string>()

  constructor (nodes: TfNode[], private readonly weights: Map<string, ConstTensor>, graphName: string) {
    this.b = new GraphBuilder(graphName)
    this.byName = new Map(nodes.map((n) => [n.name, n]))
  }

  placeholder (name: string, dynamicDims: string[]): void {
    const node = this.node(name)
    if (node.op !== 'Placeholder') throw new Error(`${name} is a ${node.op}, not a Placeholder`)
    const type = tfType(node.attr?.dtype?.type)
    const symbols = [...dynamicDims]
    const dims = (node.attr?.shape?.shape?.dim ?? []).map((d) => Number(d.size) < 0 ? symbols.shift() ?? `${name}_dim` : Number(d.size))
    this.values.set(name, [{ name: this.b.input(name, type, dims), type }])
  }

  /** The ONNX value of a TF tensor reference (`name` or `name:k`), converting its producer first. */
  value (ref: string): Value {
    const [nodeName, index] = parseRef(ref)
    let outs = this.values.get(nodeName)
    if (!outs) {
      if (this.visiting.has(nodeName)) throw new Error(`cycle at ${nodeName}`)
      this.visiting.add(nodeName)
      outs = this.convert(this.node(nodeName))
      this.visiting.delete(nodeName)
      this.values.set(nodeName, outs)
    }
    const out = outs[index]
    if (!out) throw new Error(`${nodeName} has no output ${index}`)
    return out
  }

  inputs (n: TfNode): Value[] {
    return dataInputs(n).map((ref) => this.value(ref))
  }

  /** A constant input, for ops whose ONNX form takes it as an attribute or a reshaped initializer. */
  constTensor (ref: string): ConstTensor {
    const node = this.node(parseRef(ref)[0])
    const tensor = node.op === 'Const' ? this.weights.get(node.name) : undefined
    if (!tensor) throw new Error(`${ref} must be a constant (it is a ${node.op})`)
    return tensor
  }

  constant (ref: string): number[] {
    return Array.from(this.constTensor(ref).data, Number)
  }

  /** An int64 view of an integer value: ONNX wants int64 for shapes, axes and indices. */
  int64 (v: Value): string {
    if (v.type === 'int64') return v.name
    let cast = this.int64Casts.get(v.name)
    if (!cast) {
      cast = this.b.op('Cast', [v.name], `${v.name}/to_int64`, { to: { i: 7 } })
      this.int64Casts.set(v.name, cast)
    }
    return cast
  }

  /** Statically known rank of a tensor, for the few ops whose ONNX form needs it. */
  rank (ref: string): number {
    const node = this.node(parseRef(ref)[0])
    const inputs = dataInputs(node)
    switch (node.op) {
      case 'Const': return (this.weights.get(node.name)?.dims ?? []).length
      case 'Placeholder': return node.attr?.shape?.shape?.dim?.length ?? 0
      case 'Transpose': return this.constant(at(inputs, 1)).length
      case 'Reshape': return this.length(at(inputs, 1))
      case 'ExpandDims': return this.rank(at(inputs, 0)) + 1
      case 'Squeeze': return this.rank(at(inputs, 0)) - intList(node, 'squeeze_dims').length
      case 'Mul': case 'Add': case 'Sub': case 'RealDiv': case 'BiasAdd': case 'MatMul': case 'BatchMatMul': case 'BatchMatMulV2':
        return Math.max(...inputs.map((r) => this.rank(r)))
      case 'Softmax': case 'Relu': case 'Tanh': case 'Cast': case 'Identity':
        return this.rank(at(inputs, 0))
      default: throw new Error(`cannot infer the rank of ${node.name} (${node.op})`)
    }
  }

  /** Static length of a 1-D tensor (a shape being built). */
  private length (ref: string): number {
    const node = this.node(parseRef(ref)[0])
    if (node.op === 'Const') return this.constant(ref).length
    if (node.op === 'Pack') return dataInputs(node).length
    throw new Error(`cannot infer the length of ${node.name} (${node.op})`)
  }

  private node (name: string): TfNode {
    const node = this.byName.get(name)
    if (!node) throw new Error(`no node named ${name}`)
    return node
  }

  private convert (n: TfNode): Value[] {
    if (n.op === 'Const') {
      const w = this.weights.get(n.name)
      if (!w) throw new Error(`no weight for constant ${n.name}`)
      return [{ name: this.b.initializer(n.name, w.type, w.dims, w.data), type: w.type }]
    }
    const handler = HANDLERS[n.op]
    if (!handler) throw new Error(`TF op ${n.op} (${n.name}) has no ONNX mapping`)
    const out = handler(this, n)
    return Array.isArray(out) ? out : [out]
  }
}

function parseRef (ref: string): [string, number] {
  const m = /^(.*):(\d+)$/.exec(ref)
  return m ? [m[1] as string, Number(m[2])] : [ref, 0]
}

function dataInputs (n: TfNode): string[] {
  return (n.input ?? []).filter((i) => !i.startsWith('^'))
}

function at<T> (list: T[], i: number): T {
  const v = list[i]
  if (v === undefined) throw new Error(`missing input ${i}`)
  return v
}

function attrInt (n: TfNode, key: string, fallback = 0): number {
  const v = n.attr?.[key]?.i
  return v === undefined ? fallback : Number(v)
}

function attrBool (n: TfNode, key: string): boolean {
  return n.attr?.[key]?.b === true
}

function attrString (n: TfNode, key: string): string | undefined {
  const s = n.attr?.[key]?.s
  if (s === undefined) return undefined
  return Array.isArray(s) ? String.fromCharCode(...s) : Buffer.from(s, 'base64').toString('latin1')
}

function intList (n: TfNode, key: string): number[] {
  return (n.attr?.[key]?.list?.i ?? []).map(Number)
}

function same (op: string): Handler {
  return (c, n) => {
    const ins = c.inputs(n)
    return { name: c.b.op(op, ins.map((v) => v.name), n.name), type: at(ins, 0).type }
  }
}

function compare (op: string): Handler {
  return (c, n) => ({ name: c.b.op(op, c.inputs(n).map((v) => v.name), n.name), type: 'bool' })
}

function reduce (op: string): Handler {
  return (c, n) => {
    const refs = dataInputs(n)
    const x = c.value(at(refs, 0))
    const axes = c.b.int64s(`${n.name}/axes`, c.constant(at(refs, 1)))
    const keepdims = attrBool(n, 'keep_dims') ? 1 : 0
    return { name: c.b.op(op, [x.name, axes], n.name, { keepdims: { i: keepdims } }), type: x.type }
  }
}

function requireAttr (n: TfNode, key: string, expected: string): void {
  const actual = attrString(n, key)
  if (actual !== undefined && actual !== expected) throw new Error(`${n.name}: ${key} ${actual} not supported (only ${expected})`)
}

function stridedSlice (c: Converter, n: TfNode): Value {
  const refs = dataInputs(n)
  const x = c.value(at(refs, 0))
  const [begin, end, strides] = [1, 2, 3].map((i) => c.constant(at(refs, i))) as [number[], number[], number[]]
  if (attrInt(n, 'ellipsis_mask') !== 0 || attrInt(n, 'new_axis_mask') !== 0) {
    throw new Error(`${n.name}: ellipsis/new-axis masks not supported`)
  }
  const beginMask = attrInt(n, 'begin_mask')
  const endMask = attrInt(n, 'end_mask')
  const shrinkMask = attrInt(n, 'shrink_axis_mask')
  const starts: number[] = []
  const ends: number[] = []
  const shrink: number[] = []
  begin.forEach((b, axis) => {
    if (strides[axis] !== 1) throw new Error(`${n.name}: only unit strides are supported`)
    const bit = 1 << axis
    const start = beginMask & bit ? 0 : b
    starts.push(start)
    if (shrinkMask & bit) {
      shrink.push(axis)
      ends.push(start === -1 ? LARGE : start + 1)
    } else {
      ends.push(endMask & bit ? LARGE : at(end, axis))
    }
  })
  const axes = starts.map((_, i) => i)
  const sliced = c.b.op(
    'Slice',
    [x.name, c.b.int64s(`${n.name}/starts`, starts), c.b.int64s(`${n.name}/ends`, ends), c.b.int64s(`${n.name}/axes`, axes)],
    shrink.length ? `${n.name}/slice` : n.name
  )
  if (!shrink.length) return { name: sliced, type: x.type }
  return { name: c.b.op('Squeeze', [sliced, c.b.int64s(`${n.name}/shrink`, shrink)], n.name), type: x.type }
}

function where (c: Converter, n: TfNode): Value {
  const ins = c.inputs(n)
  if (ins.length !== 1) throw new Error(`${n.name}: only the one-input Where (coordinates of true elements) is supported`)
  const nonzero = c.b.op('NonZero', [at(ins, 0).name], `${n.name}/nonzero`)
  return { name: c.b.op('Transpose', [nonzero], n.name, { perm: { ints: [1, 0] } }), type: 'int64' }
}

function reshape (c: Converter, n: TfNode): Value {
  const [x, shape] = c.inputs(n) as [Value, Value]
  return { name: c.b.op('Reshape', [x.name, c.int64(shape)], n.name), type: x.type }
}

function gather (c: Converter, n: TfNode): Value {
  const refs = dataInputs(n)
  const [params, indices] = [c.value(at(refs, 0)), c.value(at(refs, 1))]
  const axis = at(c.constant(at(refs, 2)), 0)
  if (attrInt(n, 'batch_dims') !== 0) throw new Error(`${n.name}: batch_dims not supported`)
  return { name: c.b.op('Gather', [params.name, indices.name], n.name, { axis: { i: axis } }), type: params.type }
}

function sparseToDense (c: Converter, n: TfNode): Value {
  const [indices, shape, values, fill] = c.inputs(n) as [Value, Value, Value, Value]
  const dense = c.b.op('Expand', [fill.name, c.int64(shape)], `${n.name}/default`)
  return { name: c.b.op('ScatterND', [dense, c.int64(indices), values.name], n.name), type: values.type }
}

function scatterNd (c: Converter, n: TfNode): Value {
  const [indices, updates, shape] = c.inputs(n) as [Value, Value, Value]
  const data = updates.type === 'float32' ? new Float32Array(1) : updates.type === 'int64' ? new BigInt64Array(1) : new Int32Array(1)
  const zero: Attr = { t: { type: updates.type, dims: [1], data } }
  const zeros = c.b.op('ConstantOfShape', [c.int64(shape)], `${n.name}/zeros`, { value: zero })
  return { name: c.b.op('ScatterND', [zeros, c.int64(indices), updates.name], n.name), type: updates.type }
}

function cast (c: Converter, n: TfNode): Value {
  const [x] = c.inputs(n) as [Value]
  const to = tfType(n.attr?.DstT?.type)
  if (to === x.type) return { name: c.b.op('Identity', [x.name], n.name), type: to }
  return { name: c.b.op('Cast', [x.name], n.name, { to: { i: ElemType[to] } }), type: to }
}

function concat (c: Converter, n: TfNode): Value {
  const refs = dataInputs(n)
  const axis = at(c.constant(at(refs, refs.length - 1)), 0)
  const parts = refs.slice(0, -1).map((r) => c.value(r))
  return { name: c.b.op('Concat', parts.map((p) => p.name), n.name, { axis: { i: axis } }), type: at(parts, 0).type }
}

function shape (c: Converter, n: TfNode): Value {
  const [x] = c.inputs(n) as [Value]
  const type = tfType(n.attr?.out_type?.type ?? 3)
  const raw = c.b.op('Shape', [x.name], type === 'int64' ? n.name : `${n.name}/int64`)
  if (type === 'int64') return { name: raw, type }
  return { name: c.b.op('Cast', [raw], n.name, { to: { i: 6 } }), type }
}

function expandDims (c: Converter, n: TfNode): Value {
  const refs = dataInputs(n)
  const x = c.value(at(refs, 0))
  const axes = c.b.int64s(`${n.name}/axes`, c.constant(at(refs, 1)))
  return { name: c.b.op('Unsqueeze', [x.name, axes], n.name), type: x.type }
}

function squeeze (c: Converter, n: TfNode): Value {
  const [x] = c.inputs(n) as [Value]
  const dims = intList(n, 'squeeze_dims')
  const inputs = dims.length ? [x.name, c.b.int64s(`${n.name}/axes`, dims)] : [x.name]
  return { name: c.b.op('Squeeze', inputs, n.name), type: x.type }
}

function pack (c: Converter, n: TfNode): Value {
  const parts = c.inputs(n)
  const axis = attrInt(n, 'axis')
  const axes = c.b.int64s(`${n.name}/axes`, [axis])
  const expanded = parts.map((p, i) => c.b.op('Unsqueeze', [p.name, axes], `${n.name}/expand_${i}`))
  return { name: c.b.op('Concat', expanded, n.name, { axis: { i: axis } }), type: at(parts, 0).type }
}

function gatherNd (c: Converter, n: TfNode): Value {
  const [params, indices] = c.inputs(n) as [Value, Value]
  return { name: c.b.op('GatherND', [params.name, c.int64(indices)], n.name), type: params.type }
}

function transpose (c: Converter, n: TfNode): Value {
  const refs = dataInputs(n)
  const x = c.value(at(refs, 0))
  return { name: c.b.op('Transpose', [x.name], n.name, { perm: { ints: c.constant(at(refs, 1)) } }), type: x.type }
}

function swapLast (rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i)
  perm[rank - 2] = rank - 1
  perm[rank - 1] = rank - 2
  return perm
}

function matMul (flagA: string, flagB: string): Handler {
  return (c, n) => {
    const refs = dataInputs(n)
    const [a, b] = [0, 1].map((i) => {
      const v = c.value(at(refs, i))
      if (!attrBool(n, i === 0 ? flagA : flagB)) return v.name
      const perm = swapLast(n.op === 'MatMul' ? 2 : c.rank(at(refs, i)))
      return c.b.op('Transpose', [v.name], `${n.name}/transpose_${i === 0 ? 'a' : 'b'}`, { perm: { ints: perm } })
    }) as [string, string]
    return { name: c.b.op('MatMul', [a, b], n.name), type: 'float32' }
  }
}

function conv2dAsMatMul (c: Converter, n: TfNode): Value {
  const refs = dataInputs(n)
  const x = c.value(at(refs, 0))
  const kernel = c.constTensor(at(refs, 1))
  const [kh, kw, cin, cout] = kernel.dims
  const unit = (list: number[]) => list.every((v) => v === 1)
  if (kh !== 1 || kw !== 1 || !unit(intList(n, 'strides')) || !unit(intList(n, 'dilations'))) {
    throw new Error(`${n.name}: only 1x1, stride-1 Conv2D (a dense layer) is supported`)
  }
  requireAttr(n, 'padding', 'VALID')
  requireAttr(n, 'data_format', 'NHWC')
  const w = c.b.initializer(`${parseRef(at(refs, 1))[0]}/as_matrix`, kernel.type, [cin as number, cout as number], kernel.data)
  return { name: c.b.op('MatMul', [x.name, w], n.name), type: x.type }
}

function biasAdd (c: Converter, n: TfNode): Value {
  requireAttr(n, 'data_format', 'NHWC')
  const [x, bias] = c.inputs(n) as [Value, Value]
  return { name: c.b.op('Add', [x.name, bias.name], n.name), type: x.type }
}

function splitV (c: Converter, n: TfNode): Value[] {
  const refs = dataInputs(n)
  const x = c.value(at(refs, 0))
  const sizes = c.constant(at(refs, 1))
  if (sizes.some((s) => s < 0)) throw new Error(`${n.name}: inferred split sizes not supported`)
  const axis = at(c.constant(at(refs, 2)), 0)
  const outs = c.b.node('Split', [x.name, c.b.int64s(`${n.name}/sizes`, sizes)], n.name, { axis: { i: axis } }, sizes.length)
  return outs.map((name) => ({ name, type: x.type }))
}

function slice (c: Converter, n: TfNode): Value {
  const refs = dataInputs(n)
  const x = c.value(at(refs, 0))
  const begin = c.constant(at(refs, 1))
  const size = c.constant(at(refs, 2))
  const ends = begin.map((b, i) => (size[i] === -1 ? LARGE : b + (size[i] as number)))
  const inputs = [
    x.name,
    c.b.int64s(`${n.name}/starts`, begin),
    c.b.int64s(`${n.name}/ends`, ends),
    c.b.int64s(`${n.name}/axes`, begin.map((_, i) => i))
  ]
  return { name: c.b.op('Slice', inputs, n.name), type: x.type }
}

function square (c: Converter, n: TfNode): Value {
  const [x] = c.inputs(n) as [Value]
  return { name: c.b.op('Mul', [x.name, x.name], n.name), type: x.type }
}

function rsqrt (c: Converter, n: TfNode): Value {
  const [x] = c.inputs(n) as [Value]
  const root = c.b.op('Sqrt', [x.name], `${n.name}/sqrt`)
  return { name: c.b.op('Reciprocal', [root], n.name), type: x.type }
}

function softmax (c: Converter, n: TfNode): Value {
  const [x] = c.inputs(n) as [Value]
  return { name: c.b.op('Softmax', [x.name], n.name, { axis: { i: -1 } }), type: x.type }
}

const HANDLERS: Record<string, Handler> = {
  Identity: same('Identity'),
  Add: same('Add'),
  AddV2: same('Add'),
  Sub: same('Sub'),
  Mul: same('Mul'),
  RealDiv: same('Div'),
  Maximum: same('Max'),
  Minimum: same('Min'),
  Sin: same('Sin'),
  Cos: same('Cos'),
  Tanh: same('Tanh'),
  Relu: same('Relu'),
  Sqrt: same('Sqrt'),
  Range: same('Range'),
  LogicalNot: compare('Not'),
  Less: compare('Less'),
  Greater: compare('Greater'),
  Max: reduce('ReduceMax'),
  Sum: reduce('ReduceSum'),
  Mean: reduce('ReduceMean'),
  Prod: reduce('ReduceProd'),
  StridedSlice: stridedSlice,
  Where: where,
  Reshape: reshape,
  GatherV2: gather,
  SparseToDense: sparseToDense,
  ScatterNd: scatterNd,
  Cast: cast,
  ConcatV2: concat,
  Shape: shape,
  ExpandDims: expandDims,
  Squeeze: squeeze,
  Pack: pack,
  GatherNd: gatherNd,
  Transpose: transpose,
  MatMul: matMul('transpose_a', 'transpose_b'),
  BatchMatMul: matMul('adj_x', 'adj_y'),
  BatchMatMulV2: matMul('adj_x', 'adj_y'),
  Conv2D: conv2dAsMatMul,
  BiasAdd: biasAdd,
  SplitV: splitV,
  Slice: slice,
  Square: square,
  Rsqrt: rsqrt,
  Softmax: softmax
}

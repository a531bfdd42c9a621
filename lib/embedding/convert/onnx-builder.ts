import onnxProto from 'onnx-proto'

const { onnx } = onnxProto

/** Element types the project's graphs use, with their ONNX `TensorProto.DataType` codes. */
export const ElemType = { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9 } as const
export type ElemTypeName = keyof typeof ElemType

export type TensorData = Float32Array | Int32Array | BigInt64Array | Uint8Array | Int8Array

export type Attr =
  | { i: number }
  | { f: number }
  | { s: string }
  | { ints: number[] }
  | { t: { type: ElemTypeName, dims: number[], data: TensorData } }

/** A dimension: a fixed size or a symbolic name such as `batch`. */
export type Dim = number | string

export interface ModelMeta {
  producerName: string
  producerVersion: string
  docString?: string
  opset: number
  metadata?: Record<string, string>
}

/**
 * Collects ONNX nodes, initializers and graph inputs/outputs in call order and serialises
 * them with onnx-proto. Nothing depends on time or hash order, so the same calls give the
 * same bytes.
 */
export class GraphBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = []
  private readonly initializers: onnxProto.onnx.ITensorProto[] = []
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = []
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = []
  private readonly used = new Set<string>()
  private counter = 0

  constructor (private readonly name: string) {}

  /** A fresh tensor name derived from `base`. */
  fresh (base: string): string {
    let candidate = base
    while (this.used.has(candidate)) candidate = `${base}__${++this.counter}`
    this.used.add(candidate)
    return candidate
  }

  input (name: string, type: ElemTypeName, dims: Dim[]): string {
    this.used.add(name)
    this.inputs.push(valueInfo(name, type, dims))
    return name
  }

  output (name: string, type: ElemTypeName, dims: Dim[]): void {
    this.outputs.push(valueInfo(name, type, dims))
  }

  initializer (name: string, type: ElemTypeName, dims: number[], data: TensorData): string {
    const unique = this.fresh(name)
    this.initializers.push(tensorProto(unique, type, dims, data))
    return unique
  }

  /** Adds one node; returns its output names (`outputs` names them, or gives how many to make). */
  node (op: string, inputs: string[], name: string, attrs: Record<string, Attr> = {}, outputs: string[] | number = 1): string[] {
    const nodeName = this.fresh(`${name}/${op}`)
    const outs = typeof outputs === 'number'
      ? Array.from({ length: outputs }, (_, i) => this.fresh(outputs === 1 ? name : `${name}:${i}`))
      : outputs.map((o) => { this.used.add(o); return o })
    this.nodes.push({
      name: nodeName,
      opType: op,
      input: inputs,
      output: outs,
      attribute: Object.entries(attrs).map(([key, value]) => attribute(key, value))
    })
    return outs
  }

  /** One-output convenience form of `node`. */
  op (op: string, inputs: string[], name: string, attrs: Record<string, Attr> = {}): string {
    return this.node(op, inputs, name, attrs)[0] as string
  }

  int64s (name: string, values: number[]): string {
    return this.initializer(name, 'int64', [values.length], BigInt64Array.from(values, BigInt))
  }

  scalar (name: string, type: ElemTypeName, value: number): string {
    const data = type === 'float32' ? Float32Array.of(value) : type === 'int64' ? BigInt64Array.of(BigInt(value)) : Int32Array.of(value)
    return this.initializer(name, type, [], data)
  }

  toBytes (meta: ModelMeta): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: meta.producerName,
      producerVersion: meta.producerVersion,
      docString: meta.docString ?? '',
      opsetImport: [{ domain: '', version: meta.opset }],
      metadataProps: Object.entries(meta.metadata ?? {}).map(([key, value]) => ({ key, value })),
      graph: {
        name: this.name,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs
      }
    })
    return onnx.ModelProto.encode(model).finish()
  }
}

function valueInfo (name: string, type: ElemTypeName, dims: Dim[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ElemType[type],
        shape: { dim: dims.map((d) => typeof d === 'number' ? { dimValue: d } : { dimParam: d }) }
      }
    }
  }
}

export function tensorProto (name: string, type: ElemTypeName, dims: number[], data: TensorData): onnxProto.onnx.ITensorProto {
  const size = dims.reduce((a, b) => a * b, 1)
  if (data.length !== size) throw new Error(`tensor ${name}: ${data.length} values for shape [${dims.join(', ')}]`)
  return {
    name,
    dims,
    dataType: ElemType[type],
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  }
}

export function attribute (name: string, value: Attr): onnxProto.onnx.IAttributeProto {
  const { AttributeType } = onnx.AttributeProto
  if ('i' in value) return { name, type: AttributeType.INT, i: value.i }
  if ('f' in value) return { name, type: AttributeType.FLOAT, f: value.f }
  if ('s' in value) return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value.s) }
  if ('ints' in value) return { name, type: AttributeType.INTS, ints: value.ints }
  return { name, type: AttributeType.TENSOR, t: tensorProto(name, value.t.type, value.t.dims, value.t.data) }
}

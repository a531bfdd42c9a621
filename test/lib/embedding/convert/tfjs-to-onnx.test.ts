import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as ort from 'onnxruntime-node'
import t from 'tap'
import { convertTfjsGraph, readWeights, type TfNode } from '../../../../lib/embedding/convert/tfjs-to-onnx.js'
import { convertUseLite, sha256, USE_LITE_OPSET } from '../../../../lib/embedding/convert/use-lite-convert.js'
import { readUseLiteFiles, resolveUseLiteSource } from '../../../../lib/embedding/convert/use-lite-source.js'

const dir = mkdtempSync(join(tmpdir(), 'tfjs-to-onnx-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

const f32 = { dtype: { type: 1 } }
const i32 = { dtype: { type: 3 } }
const placeholder = (name: string, dims: number[], dtype = 1): TfNode =>
  ({ name, op: 'Placeholder', attr: { dtype: { type: dtype }, shape: { shape: { dim: dims.map((size) => ({ size: String(size) })) } } } })
const constant = (name: string, attr = f32): TfNode => ({ name, op: 'Const', attr })

function weightBytes (...arrays: Array<Float32Array | Int32Array>): Uint8Array {
  return new Uint8Array(Buffer.concat(arrays.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength))))
}

async function run (
  nodes: TfNode[],
  specs: Array<{ name: string, shape: number[], dtype: string }>,
  data: Uint8Array,
  feeds: Record<string, ort.Tensor>,
  output: string
): Promise<ort.Tensor> {
  const graph = convertTfjsGraph(nodes, readWeights(specs, data, nodes), {
    graphName: 'test',
    inputs: Object.keys(feeds).map((name) => ({ name, dynamicDims: ['n'] })),
    output: { tensor: output, name: 'out', dims: ['n', 'm'] }
  })
  const file = join(dir, `${output}.onnx`)
  writeFileSync(file, graph.toBytes({ producerName: 'test', producerVersion: '0', opset: USE_LITE_OPSET }))
  const session = await ort.InferenceSession.create(file)
  try {
    return (await session.run(feeds)).out as ort.Tensor
  } finally {
    await session.release()
  }
}

t.test('dense-layer ops: MatMul with transpose_b, BiasAdd, Square, Rsqrt, StridedSlice with shrink, ExpandDims', async (t) => {
  const nodes: TfNode[] = [
    placeholder('x', [-1, 2]), constant('w'), constant('b'), constant('begin', i32), constant('end', i32), constant('strides', i32),
    constant('axis', i32), { name: 'mm', op: 'MatMul', input: ['x', 'w'], attr: { transpose_a: { b: false }, transpose_b: { b: true } } },
    { name: 'bias', op: 'BiasAdd', input: ['mm', 'b'], attr: { data_format: { s: [78, 72, 87, 67] } } },
    { name: 'sq', op: 'Square', input: ['bias'] }, { name: 'rs', op: 'Rsqrt', input: ['sq'] },
    {
      name: 'col',
      op: 'StridedSlice',
      input: ['rs', 'begin', 'end', 'strides'],
      attr: { begin_mask: { i: 1 }, end_mask: { i: 1 }, shrink_axis_mask: { i: 2 } }
    },
    { name: 'out2d', op: 'ExpandDims', input: ['col', 'axis'] }
  ]
  const specs = [
    { name: 'w', shape: [3, 2], dtype: 'float32' }, { name: 'b', shape: [3], dtype: 'float32' },
    { name: 'begin', shape: [2], dtype: 'int32' }, { name: 'end', shape: [2], dtype: 'int32' },
    { name: 'strides', shape: [2], dtype: 'int32' }, { name: 'axis', shape: [], dtype: 'int32' }
  ]
  const data = weightBytes(
    Float32Array.of(1, 2, 3, 4, 5, 6),
    Float32Array.of(1, 1, 1),
    Int32Array.of(0, 1),
    Int32Array.of(0, 2),
    Int32Array.of(1, 1),
    Int32Array.of(1)
  )
  const result = await run(nodes, specs, data, { x: new ort.Tensor('float32', Float32Array.of(1, 0, 0, 2), [2, 2]) }, 'out2d')
  // x·wᵀ + b = [[2, 4, 6], [5, 9, 13]]; its column 1 through 1/sqrt(v²) is [1/4, 1/9].
  t.same(result.dims, [2, 1])
  const [a, b] = Array.from(result.data as Float32Array) as [number, number]
  t.ok(Math.abs(a - 0.25) < 1e-6 && Math.abs(b - 1 / 9) < 1e-6, `got ${a}, ${b}`)
})

t.test('sparse ops: SparseToDense, Where, ScatterNd and GatherNd rebuild a dense matrix', async (t) => {
  const nodes: TfNode[] = [
    placeholder('indices', [-1, 2], 9), placeholder('values', [-1], 9),
    constant('shape', { dtype: { type: 9 } }), constant('fill', { dtype: { type: 9 } }),
    { name: 'dense', op: 'SparseToDense', input: ['indices', 'shape', 'values', 'fill'] },
    { name: 'mask', op: 'Greater', input: ['dense', 'fill'] },
    { name: 'where', op: 'Where', input: ['mask'] },
    { name: 'picked', op: 'GatherNd', input: ['dense', 'where'] },
    { name: 'scattered', op: 'ScatterNd', input: ['where', 'picked', 'shape'] }
  ]
  const specs = [{ name: 'shape', shape: [2], dtype: 'int32' }, { name: 'fill', shape: [], dtype: 'int32' }]
  const result = await run(nodes, specs, weightBytes(Int32Array.of(2, 3), Int32Array.of(-1)), {
    indices: new ort.Tensor('int64', BigInt64Array.of(0n, 0n, 0n, 1n, 1n, 0n), [3, 2]),
    values: new ort.Tensor('int64', BigInt64Array.of(7n, 8n, 9n), [3])
  }, 'scattered')
  t.same(result.dims, [2, 3])
  t.same(Array.from(result.data as BigInt64Array, Number), [7, 8, 0, 9, 0, 0], 'the -1 fill is gone, values are back in place')
})

t.test('an op without a mapping is named in the error', async (t) => {
  const nodes: TfNode[] = [placeholder('x', [-1, 2]), { name: 'odd', op: 'Erfinv', input: ['x'] }]
  t.throws(
    () => convertTfjsGraph(
      nodes,
      new Map(),
      { graphName: 'g', inputs: [{ name: 'x', dynamicDims: ['n'] }], output: { tensor: 'odd', name: 'out', dims: ['n', 2] } }
    ),
    /TF op Erfinv \(odd\) has no ONNX mapping/
  )
})

t.test('converting USE-Lite is deterministic and keeps the graph interface', async (t) => {
  const source = resolveUseLiteSource()
  const files = readUseLiteFiles(source)
  const first = convertUseLite(source, files)
  const second = convertUseLite(source, readUseLiteFiles(source))
  t.equal(sha256(first.model), sha256(second.model), 'same bytes')
  t.same(first.card, second.card)
  t.equal(first.card.model_sha256, sha256(first.model))
  t.same(
    { dimensions: first.card.dimensions, max_tokens: first.card.max_tokens, family: first.card.family },
    { dimensions: 512, max_tokens: 128, family: 'use-lite' }
  )
  const file = join(dir, 'use-lite.onnx')
  writeFileSync(file, first.model)
  const session = await ort.InferenceSession.create(file)
  t.teardown(() => session.release())
  t.same(
    session.inputMetadata.map((m) => m.isTensor ? [m.name, m.type, m.shape] : []),
    [['indices', 'int64', ['tokens', 2]], ['values', 'int64', ['tokens']]]
  )
  t.same(session.outputMetadata.map((m) => m.isTensor ? [m.name, m.type, m.shape] : []), [['embeddings', 'float32', ['sentences', 512]]])
})

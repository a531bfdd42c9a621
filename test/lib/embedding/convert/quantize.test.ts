import onnxProto from 'onnx-proto'
import * as ort from 'onnxruntime-node'
import t from 'tap'
import { cosine } from '../../../../lib/embedding/l2.js'
import { GraphBuilder } from '../../../../lib/embedding/convert/onnx-builder.js'
import { quantizeWeights } from '../../../../lib/embedding/convert/quantize.js'

/** A small deterministic pseudo-random sequence, so weights look like trained ones (no structure). */
function weights (n: number, seed: number): Float32Array {
  let s = seed
  return Float32Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648
    return (s / 2147483648 - 0.5) * 0.2
  })
}

const ROWS = 300
const WIDTH = 256
const OUT = 512

/** ids -> Gather from a [300, 256] table -> MatMul by a [256, 512] matrix -> Add a small bias -> out. */
function floatModel (): Uint8Array {
  const b = new GraphBuilder('quantize-test')
  const ids = b.input('ids', 'int64', ['n'])
  const table = b.initializer('table', 'float32', [ROWS, WIDTH], weights(ROWS * WIDTH, 1))
  const matrix = b.initializer('matrix', 'float32', [WIDTH, OUT], weights(WIDTH * OUT, 2))
  const bias = b.initializer('bias', 'float32', [OUT], weights(OUT, 3))
  const rows = b.op('Gather', [table, ids], 'lookup', { axis: { i: 0 } })
  const product = b.op('MatMul', [rows, matrix], 'dense')
  b.node('Add', [product, bias], 'bias_add', {}, ['out'])
  b.output('out', 'float32', ['n', OUT])
  return b.toBytes({ producerName: 'test', producerVersion: '0', opset: 18 })
}

async function run (model: Uint8Array, ids: number[]): Promise<Float32Array[]> {
  const session = await ort.InferenceSession.create(model)
  try {
    const out = (await session.run({ ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [ids.length]) })).out as ort.Tensor
    const data = out.data as Float32Array
    return ids.map((_, i) => data.slice(i * OUT, (i + 1) * OUT))
  } finally {
    await session.release()
  }
}

t.test('large weights become int8: MatMulNBits and an int8 table, small ones stay float', async (t) => {
  const original = floatModel()
  const { model, report } = quantizeWeights(original)
  t.same({ matmuls: report.matmuls, tables: report.tables }, { matmuls: 1, tables: 1 })
  t.equal(report.bytesBefore, (ROWS * WIDTH + WIDTH * OUT) * 4)
  t.ok(report.bytesAfter < report.bytesBefore * 0.3, `${report.bytesAfter} of ${report.bytesBefore} bytes`)
  t.ok(model.byteLength < original.byteLength * 0.35, 'the file shrinks as well')

  const graph = onnxProto.onnx.ModelProto.decode(model).graph
  const ops = (graph?.node ?? []).map((n) => `${n.domain ? `${n.domain}.` : ''}${n.opType ?? ''}`)
  t.ok(ops.includes('com.microsoft.MatMulNBits'), ops.join(', '))
  t.notOk(ops.includes('MatMul'), 'no float MatMul left')
  const names = (graph?.initializer ?? []).map((i) => i.name)
  t.ok(names.includes('bias'), 'the bias (512 values) is kept as it was')
  t.notOk(names.includes('table') || names.includes('matrix'), 'the float copies are gone')
  t.same(quantizeWeights(original).model, model, 'deterministic: same input, same bytes')
})

t.test('the int8 graph computes what the float graph does, row by row', async (t) => {
  const original = floatModel()
  const { model } = quantizeWeights(original)
  const ids = [0, 7, 299, 42, 7]
  const [expected, actual] = await Promise.all([run(original, ids), run(model, ids)])
  const worst = Math.min(...ids.map((_, i) => cosine(expected[i] as Float32Array, actual[i] as Float32Array)))
  t.ok(worst > 0.999, `lowest cosine with the float graph ${worst}`)
  t.same(actual[4], actual[1], 'the same id gives the same row')
  const [alone] = await run(model, [42])
  t.same(alone, actual[3], 'a row does not depend on the other rows of its batch')
})

t.test('a model without large weights comes back unchanged in meaning', async (t) => {
  const b = new GraphBuilder('small')
  const x = b.input('x', 'float32', ['n', 4])
  const w = b.initializer('w', 'float32', [4, 4], weights(16, 4))
  b.node('MatMul', [x, w], 'mm', {}, ['out'])
  b.output('out', 'float32', ['n', 4])
  const { model, report } = quantizeWeights(b.toBytes({ producerName: 'test', producerVersion: '0', opset: 18 }))
  t.same(report, { matmuls: 0, tables: 0, bytesBefore: 0, bytesAfter: 0 })
  const ops = (onnxProto.onnx.ModelProto.decode(model).graph?.node ?? []).map((n) => n.opType)
  t.same(ops, ['MatMul'])
})

t.test('a model without a graph is refused', async (t) => {
  t.throws(() => quantizeWeights(onnxProto.onnx.ModelProto.encode({ irVersion: 8 }).finish()), /no graph/)
})

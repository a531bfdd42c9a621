import t from 'tap'
import { cosine, quantizeInt8, rowDots } from '../../../lib/embedding/l2.js'

const random = (n: number, seed: number): Float32Array => {
  let x = seed
  return Float32Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) % 2147483648
    return x / 2147483648 - 0.5
  })
}

t.test('int8 rounding keeps the largest component at ±127 and the direction within 0.001 of cosine', async (t) => {
  const vector = random(512, 7)
  const into = new Int8Array(520)
  const step = quantizeInt8(vector, into, 8)
  const rows = into.subarray(8)
  t.equal(Math.max(...rows.map(Math.abs)), 127)
  t.same([...into.subarray(0, 8)], [0, 0, 0, 0, 0, 0, 0, 0], 'nothing before the offset is written')
  const back = Float32Array.from(rows, (q) => q * step)
  t.ok(cosine(vector, back) > 0.999, `cosine ${cosine(vector, back)}`)
  t.equal(quantizeInt8(new Float32Array(4), new Int8Array(4)), 1, 'a zero vector stays zero, with step 1')
})

t.test('rowDots reads an int8 matrix as it reads floats', async (t) => {
  const query = random(7, 3)
  const ints = Int8Array.from({ length: 21 }, (_, i) => (i * 37) % 255 - 127)
  const floats = Float32Array.from(ints)
  t.same(rowDots(ints, query, new Float64Array(3)), rowDots(floats, query, new Float64Array(3)))
  const expected = [0, 1, 2].map((row) => query.reduce((sum, q, i) => sum + q * (ints[row * 7 + i] as number), 0))
  rowDots(ints, query, new Float64Array(3)).forEach((got, row) => t.ok(Math.abs(got - (expected[row] as number)) < 1e-9))
  t.throws(() => rowDots(ints, query, new Float64Array(4)), RangeError, 'more rows than the matrix holds')
})

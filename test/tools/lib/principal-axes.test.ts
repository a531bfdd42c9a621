import t from 'tap'
import { principalAxes } from '../../../tools/lib/principal-axes.js'

t.test('finds the directions of most variance, in order, as orthonormal rows', async (t) => {
  // Points spread 3 units along (1, 1, 0)/√2, 1 unit along z and hardly at all along (1, -1, 0)/√2.
  const points = Array.from({ length: 40 }, (_, i) => {
    const a = 3 * Math.sin(i * 0.7)
    const b = Math.cos(i * 1.3)
    const c = 0.01 * Math.sin(i * 2.9)
    return [(a + c) / Math.SQRT2 + 5, (a - c) / Math.SQRT2 - 2, b + 1]
  })
  const axes = principalAxes(points, 2)
  const row = (k: number): number[] => Array.from(axes.subarray(k * 3, k * 3 + 3))
  const [first, second] = [row(0), row(1)] as [number[], number[]]
  const [x, y] = first as [number, number]
  t.ok(Math.abs(Math.abs(x) - Math.SQRT1_2) < 1e-3 && Math.abs(x - y) < 1e-3, 'first: (1, 1, 0)/√2')
  t.ok(Math.abs(Math.abs(second[2] as number) - 1) < 1e-3, 'second: z')
  t.ok(Math.abs(first.reduce((s, x, i) => s + x * (second[i] as number), 0)) < 1e-6, 'orthogonal')
  t.throws(() => principalAxes(points, 4), /dimensions/)
  t.throws(() => principalAxes([], 1), /dimensions/)
})

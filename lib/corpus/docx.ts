/**
 * Word (.docx) to Markdown with mammoth (https://github.com/mwilliamson/mammoth.js), which maps
 * Word's heading styles to HTML headings; the title comes from the file's core properties
 * (docProps/core.xml, read with JSZip, which mammoth itself uses).
 */
import JSZip from 'jszip'
import mammoth from 'mammoth'
import { fragmentToMarkdown } from './html.js'

export interface ConvertedDocx {
  markdown: string
  title?: string
}

/** Images carry no policy text; mammoth would otherwise inline them as data URIs. */
const noImages = mammoth.images.imgElement(async () => ({ src: '' }))

export async function docxToMarkdown (bytes: Buffer): Promise<ConvertedDocx> {
  const zip = await JSZip.loadAsync(bytes)
  const { value: html } = await mammoth.convertToHtml({ buffer: bytes }, { convertImage: noImages })
  const title = coreTitle(await zip.file('docProps/core.xml')?.async('string'))
  return { markdown: fragmentToMarkdown(html), ...(title ? { title } : {}) }
}

function coreTitle (xml: string | undefined): string | undefined {
  const raw = xml === undefined ? undefined : /<dc:title>([^<]*)<\/dc:title>/.exec(xml)?.[1]
  return raw === undefined ? undefined : decodeXml(raw).trim()
}

function decodeXml (text: string): string {
  return text.replace(/&(lt|gt|quot|apos|amp|#\d+|#x[0-9a-f]+);/gi, (_m, entity: string) => {
    const named: Record<string, string> = { lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' }
    if (entity.startsWith('#x') || entity.startsWith('#X')) return String.fromCodePoint(parseInt(entity.slice(2), 16))
    if (entity.startsWith('#')) return String.fromCodePoint(Number(entity.slice(1)))
    return named[entity.toLowerCase()] ?? ''
  })
}

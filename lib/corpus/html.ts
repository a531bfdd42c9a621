/**
 * HTML to Markdown with node-html-markdown (https://github.com/crosstype/node-html-markdown):
 * headings stay headings, so chunks keep their heading paths. An intranet page's `<main>` (or
 * `<article>`) is the policy when it has one; navigation, scripts and images are dropped.
 * `<meta name="version" content="3.2">` and the like give the policy's fields.
 */
import { NodeHtmlMarkdown } from 'node-html-markdown'
import { parse, type HTMLElement } from 'node-html-parser'
import { isFieldName, type Fields } from './fields.js'

export interface ConvertedHtml {
  markdown: string
  fields: Fields
  /** The page's `<title>`. */
  title?: string
}

const converter = new NodeHtmlMarkdown({
  ignore: ['script', 'style', 'noscript', 'template', 'nav', 'img', 'svg', 'iframe', 'form', 'button'],
  bulletMarker: '-',
  maxConsecutiveNewlines: 2
})

export function htmlToMarkdown (html: string): ConvertedHtml {
  const root = parse(html, { comment: false })
  const body = root.querySelector('main') ?? root.querySelector('article') ?? root.querySelector('body') ?? root
  const title = root.querySelector('title')?.text.trim()
  return {
    markdown: converter.translate(body.innerHTML).trim() + '\n',
    fields: metaFields(root),
    ...(title ? { title } : {})
  }
}

/** Markdown from Word's HTML (mammoth's output has no page furniture to remove). */
export function fragmentToMarkdown (html: string): string {
  return converter.translate(html).trim() + '\n'
}

function metaFields (root: HTMLElement): Fields {
  const fields: Fields = {}
  for (const meta of root.querySelectorAll('meta[name]')) {
    const key = (meta.getAttribute('name') ?? '').trim().toLowerCase().replace(/-/g, '_')
    const content = meta.getAttribute('content')?.trim()
    if (isFieldName(key) && key !== 'id' && content) fields[key] = content
  }
  const canonical = root.querySelector('link[rel="canonical"]')?.getAttribute('href')?.trim()
  if (fields.source_url === undefined && canonical) fields.source_url = canonical
  return fields
}

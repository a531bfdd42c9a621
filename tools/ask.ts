/**
 * Asks the service a question from a terminal and prints the answer with its sources:
 *   npm run ask -- "How many vacation days do I get?" [--url http://host:8080] [--api-key KEY] [--top-k N] [--json]
 * With --url (or ASK_URL) it asks that running instance over HTTP; without, it builds the app in this
 * process (same settings as the server, read from the environment) and asks it through inject().
 */
import { parseArgs } from 'node:util'
import { pathToFileURL } from 'node:url'

export interface AskOptions {
  question: string
  /** Base URL of a running instance; undefined asks an in-process app. */
  url?: string
  apiKey?: string
  topK?: number
}

export interface AskReply { status: number, body: ChatReply }

interface ChatReply {
  answer?: string
  mode?: string
  reason?: string
  model?: string
  message?: string
  citations?: Array<{ id: number, document_title: string, heading: string, document_id: string }>
  timings_ms?: { total: number }
}

/** POST /chat with the question; the reply's status and JSON body, whatever the status. */
export async function ask (opts: AskOptions): Promise<AskReply> {
  const payload = { question: opts.question, ...(opts.topK === undefined ? {} : { top_k: opts.topK }) }
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    ...(opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {})
  }
  if (opts.url !== undefined) {
    const res = await fetch(new URL('/chat', opts.url), { method: 'POST', headers, body: JSON.stringify(payload) })
    return { status: res.status, body: await res.json() as ChatReply }
  }
  const { buildApp } = await import('../app.js')
  const app = await buildApp({ logger: false })
  try {
    const res = await app.inject({ method: 'POST', url: '/chat', headers, payload })
    return { status: res.statusCode, body: res.json<ChatReply>() }
  } finally {
    await app.close()
  }
}

/** The answer wrapped to the terminal's width, then one line per cited source. */
export function formatReply (reply: AskReply, width = 80): string {
  const { status, body } = reply
  if (status !== 200) return `error ${status}: ${body.message ?? 'no message'}`
  const lines = wrap(body.answer ?? '', Math.max(40, width))
  const how = [body.mode, body.reason, body.timings_ms ? `${Math.round(body.timings_ms.total)} ms` : undefined].filter(Boolean).join(', ')
  lines.push('', `(${how})`)
  const citations = body.citations ?? []
  if (citations.length > 0) {
    lines.push('', 'Sources:')
    for (const c of citations) {
      const section = c.heading.split(' > ').slice(1).join(' › ') || c.heading
      lines.push(`  [${c.id}] ${c.document_title} › ${section}  (${c.document_id})`)
    }
  }
  return lines.join('\n')
}

function wrap (text: string, width: number): string[] {
  const out: string[] = []
  for (const paragraph of text.split('\n')) {
    let line = ''
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      if (line !== '' && line.length + 1 + word.length > width) {
        out.push(line)
        line = word
      } else {
        line = line === '' ? word : `${line} ${word}`
      }
    }
    out.push(line)
  }
  return out
}

const USAGE = 'usage: npm run ask -- "question" [--url http://host:port] [--api-key KEY] [--top-k N] [--json]\n  --url defaults to env ' +
  'ASK_URL; without either, an in-process app answers. --api-key defaults to env ASK_API_KEY.'

async function main (argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      'api-key': { type: 'string' },
      'top-k': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' }
    }
  })
  const question = positionals.join(' ').trim()
  if (values.help === true || question === '') {
    console.error(USAGE)
    return values.help === true ? 0 : 2
  }
  const topK = values['top-k'] === undefined ? undefined : Number(values['top-k'])
  const url = values.url ?? process.env.ASK_URL
  const apiKey = values['api-key'] ?? process.env.ASK_API_KEY
  const reply = await ask({ question, ...(url ? { url } : {}), ...(apiKey ? { apiKey } : {}), ...(topK === undefined ? {} : { topK }) })
  console.log(values.json === true ? JSON.stringify(reply.body) : formatReply(reply, process.stdout.columns ?? 80))
  return reply.status === 200 ? 0 : 1
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code }, (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err))
    process.exitCode = 1
  })
}

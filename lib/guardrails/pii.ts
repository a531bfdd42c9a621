import { isIPv4, isIPv6 } from 'node:net'
import { type PiiKind, sortKinds } from './types.js'

export interface PiiMatch {
  kind: PiiKind
  start: number
  end: number
  /** Canonical form (digits only, lower-cased e-mail, compact IBAN) used to compare occurrences. */
  value: string
}

export interface RedactionResult {
  text: string
  kinds: PiiKind[]
}

export const PII_PLACEHOLDERS: Record<PiiKind, string> = {
  email: '[EMAIL]',
  phone: '[PHONE]',
  ssn: '[SSN]',
  sin: '[SIN]',
  nino: '[NINO]',
  passport: '[PASSPORT]',
  address: '[ADDRESS]',
  card: '[CARD]',
  iban: '[IBAN]',
  ip: '[IP]'
}

// Masks found spans so later detectors cannot match inside them; never occurs in validated text.
const MASK = '\u0001'

type Detector = (text: string) => PiiMatch[]

const EMAIL = new RegExp(
  String.raw`(?<![\w.%+-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,63})@` +
  String.raw`(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-])`,
  'g'
)
// "jane [at] example [dot] org", "jane dot roe at example dot org": at least one of the words must be spelled out,
// so a plain "employees at example.com" is not read as an address.
const AT_WORD = String.raw`(?:\s*[[({]\s*at\s*[\])}]\s*|\s+at\s+)`
const DOT_WORD = String.raw`(?:\s*[[({]\s*dot\s*[\])}]\s*|\s+dot\s+|\.)`
const LOCAL_LABEL = '[A-Za-z0-9][A-Za-z0-9_%+-]{0,63}'
const DOMAIN_LABEL = '[A-Za-z0-9][A-Za-z0-9-]{0,62}'
const OBFUSCATED_EMAIL = new RegExp(
  `(?<![\\w.])${LOCAL_LABEL}(?:${DOT_WORD}${LOCAL_LABEL})*${AT_WORD}` +
  `${DOMAIN_LABEL}(?:${DOT_WORD}${DOMAIN_LABEL})*${DOT_WORD}[A-Za-z]{2,24}(?![\\w-])`,
  'gi'
)
const SPELLED_OUT = /[[({]\s*(?:at|dot)\s*[\])}]|\sdot\s/i

function canonicalEmail (spelled: string): string {
  return spelled.toLowerCase()
    .replace(/\s*[[({]\s*at\s*[\])}]\s*|\s+at\s+/g, '@')
    .replace(/\s*[[({]\s*dot\s*[\])}]\s*|\s+dot\s+/g, '.')
    .replace(/\s+/g, '')
}

function detectEmail (text: string): PiiMatch[] {
  const plain = [...text.matchAll(EMAIL)].map((m) => span('email', m, m[0].toLowerCase()))
  const obfuscated = [...text.matchAll(OBFUSCATED_EMAIL)]
    .filter((m) => SPELLED_OUT.test(m[0]))
    .map((m) => span('email', m, canonicalEmail(m[0])))
  return [...plain, ...obfuscated]
}

const IBAN_CANDIDATE = /(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]){11,34}/g

export function ibanChecksumValid (compact: string): boolean {
  const iban = compact.toUpperCase()
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(iban)) return false
  const rearranged = iban.slice(4) + iban.slice(0, 4)
  let remainder = 0
  for (const ch of rearranged) {
    const code = ch.charCodeAt(0)
    const digits = code >= 65 ? String(code - 55) : ch
    for (const d of digits) remainder = (remainder * 10 + Number(d)) % 97
  }
  return remainder === 1
}

function detectIban (text: string): PiiMatch[] {
  const found: PiiMatch[] = []
  for (const m of text.matchAll(IBAN_CANDIDATE)) {
    const start = m.index
    // The candidate may run into the next word; try the longest ending on a word boundary that checks out.
    for (let end = start + m[0].length; end - start >= 15; end--) {
      if (/[A-Za-z0-9]/.test(text[end] ?? '') || text[end - 1] === ' ') continue
      const compact = text.slice(start, end).replace(/ /g, '').toUpperCase()
      if (compact.length <= 34 && ibanChecksumValid(compact)) {
        found.push({ kind: 'iban', start, end, value: compact })
        break
      }
    }
  }
  return found
}

export function luhnValid (digits: string): boolean {
  let sum = 0
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i])
    if (i % 2 === 1) {
      d *= 2
      if (d > 9) d -= 9
    }
    sum += d
  }
  return sum % 10 === 0
}

function isCardNumber (digits: string): boolean {
  return digits.length >= 13 && digits.length <= 19 &&
    /^[2-6]/.test(digits) && !/^(\d)\1+$/.test(digits) && luhnValid(digits)
}

const CARD_CANDIDATE = /(?<![\w.,/-])\d+(?:[ -]\d+)*(?![\w/-]|[.,]\d)/g
const CARD_CONTEXT = /\b(?:card|visa|master ?card|amex|american express|discover|credit|debit|cc|pan)\b/i

function detectCard (text: string): PiiMatch[] {
  const found: PiiMatch[] = []
  for (const m of text.matchAll(CARD_CANDIDATE)) {
    const groups = [...m[0].matchAll(/\d+/g)]
    let i = 0
    while (i < groups.length) {
      const hit = longestCardWindow(groups, i)
      if (hit === undefined) { i++; continue }
      const start = m.index + (groups[i] as RegExpExecArray).index
      const last = groups[hit.end] as RegExpExecArray
      const end = m.index + last.index + last[0].length
      const before = text.slice(Math.max(0, start - 40), start)
      const ibanTail = /[A-Za-z]{2}\d{2} ?$/.test(before)
      if (!ibanTail && (!isExemptReference(before) || CARD_CONTEXT.test(before))) {
        found.push({ kind: 'card', start, end, value: hit.digits })
      }
      i = hit.end + 1
    }
  }
  return found
}

function longestCardWindow (groups: RegExpExecArray[], from: number): { end: number, digits: string } | undefined {
  let best: { end: number, digits: string } | undefined
  let digits = ''
  for (let j = from; j < groups.length && digits.length <= 19; j++) {
    digits += (groups[j] as RegExpExecArray)[0]
    if (isCardNumber(digits)) best = { end: j, digits }
  }
  return best
}

const SSN_CANDIDATE = /(?<![\w-])(\d{3})([- ]?)(\d{2})\2(\d{4})(?![\w-])/g
const SSN_CONTEXT = /\b(?:ssn|ss#|ss no|social security|social sec|soc sec)\b/i

function validSsnParts (area: string, group: string, serial: string): boolean {
  return area !== '000' && area !== '666' && !area.startsWith('9') && group !== '00' && serial !== '0000'
}

function detectSsn (text: string): PiiMatch[] {
  const found: PiiMatch[] = []
  for (const m of text.matchAll(SSN_CANDIDATE)) {
    const [, area = '', sep = '', group = '', serial = ''] = m
    if (!validSsnParts(area, group, serial)) continue
    if (sep === '' && !SSN_CONTEXT.test(text.slice(Math.max(0, m.index - 40), m.index))) continue
    found.push(span('ssn', m, area + group + serial))
  }
  return found
}

// Canadian Social Insurance Number: 3-3-3 digits, Luhn-valid. Grouped and not starting with 0 or 8 (never issued), it
// needs no context (the grouping is the SIN's own); bare, or starting with 0 (the sample numbers forms print), only
// after "SIN" or "social insurance".
const SIN_CANDIDATE = /(?<![\w.,/-])(\d{3})([- ]?)(\d{3})\2(\d{3})(?![\w/-]|[.,]\d)/g
const SIN_CONTEXT = /\b(?:sin|social insurance|insurance sociale|nas)\b/i

function detectSin (text: string): PiiMatch[] {
  const found: PiiMatch[] = []
  for (const m of text.matchAll(SIN_CANDIDATE)) {
    const [, first = '', sep = '', second = '', third = ''] = m
    const digits = first + second + third
    if (!luhnValid(digits) || /^(\d)\1+$/.test(digits)) continue
    const before = text.slice(Math.max(0, m.index - 40), m.index)
    const named = SIN_CONTEXT.test(before)
    if (!named && (sep === '' || isExemptReference(before) || /^[08]/.test(digits))) continue
    found.push(span('sin', m, digits))
  }
  return found
}

// UK National Insurance number: two prefix letters (D, F, I, Q, U, V never; O never second; some pairs never
// issued), six digits, suffix A-D; spaced in pairs or not.
const NINO_CANDIDATE = /(?<![A-Za-z0-9])([A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]) ?(\d{2}) ?(\d{2}) ?(\d{2}) ?([A-D])(?![A-Za-z0-9])/gi
const NINO_NOT_ISSUED = new Set(['BG', 'GB', 'KN', 'NK', 'NT', 'TN', 'ZZ'])
// Named as one, any two letters count: people quote the specimen "QQ 12 34 56 C" or mistype a prefix, and it is theirs either way.
const NAMED_NINO = /(?<![A-Za-z0-9])([A-Z]{2}) ?(\d{2}) ?(\d{2}) ?(\d{2}) ?([A-D])(?![A-Za-z0-9])/gi
const NINO_CONTEXT = /\b(?:national\s+insurance|n\.?i\.?\s*(?:number|no\.?|#)|nino)\b/i

function detectNino (text: string): PiiMatch[] {
  const found: PiiMatch[] = []
  for (const m of text.matchAll(NINO_CANDIDATE)) {
    const [, letters = '', a = '', b = '', c = '', suffix = ''] = m
    const prefix = letters.toUpperCase()
    if (NINO_NOT_ISSUED.has(prefix)) continue
    found.push(span('nino', m, prefix + a + b + c + suffix.toUpperCase()))
  }
  for (const m of text.matchAll(NAMED_NINO)) {
    const [, letters = '', a = '', b = '', c = '', suffix = ''] = m
    if (!NINO_CONTEXT.test(text.slice(Math.max(0, m.index - 40), m.index))) continue
    found.push(span('nino', m, letters.toUpperCase() + a + b + c + suffix.toUpperCase()))
  }
  return found
}

// Passport numbers have no common shape (9 digits in the US and UK, letters and digits elsewhere): an id of
// 6-10 letters and digits, at least 4 of them digits, within a few words after "passport" ("my UK passport, number
// 533380006", "passport no. X1234567", "passport ID is C01X00T47").
const PASSPORT = new RegExp(
  String.raw`\bpassport(?:'s)?(?:\s*(?:number|num|no\.?|nr\.?|id|#|is|was|reads|:|=|,|\(|-)|\s+[A-Za-z]{1,12}){0,4}` +
  String.raw`\s*(?<![A-Za-z0-9])([A-Za-z0-9]{6,10})(?![\w-])`,
  'dgi'
)

function detectPassport (text: string): PiiMatch[] {
  const found: PiiMatch[] = []
  for (const m of text.matchAll(PASSPORT)) {
    const id = m[1] ?? ''
    const at = m.indices?.[1]
    if (at === undefined || (id.match(/\d/g) ?? []).length < 4 || /^(\d)\1+$/.test(id) || /^\d{4}s?$/.test(id)) continue
    found.push({ kind: 'passport', start: at[0], end: at[1], value: id.toUpperCase() })
  }
  return found
}

// A street address: a house number and a street name ending in a street word ("221B Baker Street", "1600 Pennsylvania
// Avenue NW"; "Hauptstraße 5"), redacted up to its postal code when one follows within a few words (a US ZIP after a
// state code, a UK or Canadian postcode, or a 4-5 digit code before a town). Without a postal code it counts only after
// "I live at", "my address is" and the like: "our office on 5 Main Street" names no one's home.
const STREET_WORD = `(?:${['street', 'st', 'avenue', 'ave', 'road', 'rd', 'boulevard', 'blvd', 'lane', 'ln', 'drive', 'dr', 'court', 'ct',
  'place', 'pl', 'way', 'terrace', 'close', 'crescent', 'square', 'sq', 'parkway', 'pkwy', 'highway', 'hwy', 'circle', 'row', 'gardens',
  'mews', 'walk', 'hill'].map((w) => `[${w.charAt(0).toUpperCase()}${w.charAt(0)}]${w.slice(1)}`).join('|')})\\.?`
const STREET_NAME = String.raw`(?:[A-Z][\p{L}'.-]*\s+){1,4}`
const NUMBER_FIRST = String.raw`\b\d{1,5}[A-Za-z]?,?\s+${STREET_NAME}${STREET_WORD}(?:\s+(?:N|S|E|W|NE|NW|SE|SW))?\b`
const STREET_FIRST = String.raw`\b\d{1,5},?\s+(?:Rue|Via|Calle|Avenida|Avenue|Boulevard|Piazza|Plaza|Rua)\s+` +
  String.raw`(?:[\p{L}'-]+\s+){0,3}?[A-Z][\p{L}'-]+`
const NUMBER_LAST = String.raw`\b[A-Z][\p{L}-]*(?:stra(?:ß|ss)e|str\.|weg|gasse|platz|allee|straat|laan|gade|vej|gatan)\s+\d{1,4}[a-z]?\b`
const POSTAL_CODE = String.raw`(?:\b[A-Z]{2}\s+\d{5}(?:-\d{4})?|\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}|\b[A-Z]\d[A-Z]\s?\d[A-Z]\d` +
  String.raw`|\b\d{4,5}\s+[A-Z][\p{L}-]+)\b`
const STREET_ADDRESS = new RegExp(
  `(?:${NUMBER_FIRST}|${STREET_FIRST}|${NUMBER_LAST})(?:(?:,?\\s+[A-Z][\\p{L}.'-]*){0,3},?\\s*(${POSTAL_CODE}))?`,
  'gu'
)
const ADDRESS_CONTEXT = new RegExp(
  String.raw`\b(?:live|living|lives|moved|moving|address|addr|reside|residence|home\s+is|ship\s+(?:it\s+)?to` +
  String.raw`|send\s+(?:it\s+)?to)\b[^.?!]{0,20}$`,
  'i'
)

function detectAddress (text: string): PiiMatch[] {
  const found: PiiMatch[] = []
  for (const m of text.matchAll(STREET_ADDRESS)) {
    const withCode = m[1] !== undefined
    if (!withCode && !ADDRESS_CONTEXT.test(text.slice(Math.max(0, m.index - 40), m.index))) continue
    found.push(span('address', m, m[0].toLowerCase().replace(/\s+/g, ' ')))
  }
  return found
}

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)'
const IPV4 = new RegExp(`(?<![\\w.])(?:${OCTET}\\.){3}${OCTET}(?:/\\d{1,2})?(?::\\d{1,5})?(?![\\w]|\\.\\d)`, 'g')
const IPV6_CANDIDATE = /(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]{1,4})?(?:\/\d{1,3})?(?![\w:]|\.\d)/g
const VERSION_CONTEXT = new RegExp(
  String.raw`\b(?:v|ver|version|versions|build|release|rel|rev|revision|edition|policy` +
  String.raw`|section|sec|clause|article|art|chapter|item|rule|standard|iso|nist|firmware` +
  String.raw`|os|ios|android|windows|chrome|firefox|edge|safari|macos|update|patch|sdk` +
  String.raw`|api|app)\.?\s*$`,
  'i'
)

function detectIp (text: string): PiiMatch[] {
  const found: PiiMatch[] = []
  for (const m of text.matchAll(IPV4)) {
    const address = m[0].replace(/[/:].*$/, '')
    if (!isIPv4(address) || VERSION_CONTEXT.test(text.slice(Math.max(0, m.index - 20), m.index))) continue
    found.push(span('ip', m, address))
  }
  for (const m of text.matchAll(IPV6_CANDIDATE)) {
    const address = m[0].replace(/\/\d+$/, '')
    if (address.length < 3 || !isIPv6(address)) continue
    found.push(span('ip', m, address.toLowerCase()))
  }
  return found
}

const SEP = '[ .\\-\\u00a0]'
const NO_DIGIT_AFTER = '(?![\\w]|[.\\-]\\d)'
const INTERNATIONAL_PHONE = new RegExp(`(?<![\\w+])(?:\\+|00)\\d[\\d()\\u00a0 .\\-]{5,24}\\d${NO_DIGIT_AFTER}`, 'g')
const NANP_PHONE = new RegExp(`(?<![\\w\\-.])(?:1${SEP})?(?:\\(\\d{3}\\)${SEP}?|\\d{3}${SEP})\\d{3}${SEP}\\d{4}${NO_DIGIT_AFTER}`, 'g')
const TRUNK_PHONE = new RegExp(`(?<![\\w\\-.])\\(?0[1-9]\\d{0,3}\\)?(?:${SEP}\\d{2,8}){1,4}${NO_DIGIT_AFTER}`, 'g')
const CONTEXT_ONLY_PHONE = new RegExp(`(?<![\\w\\-.])(?:\\d{3}${SEP}?\\d{4}|\\d{10,11})${NO_DIGIT_AFTER}`, 'g')
const PHONE_CONTEXT = new RegExp(
  String.raw`\b(?:phone|tel|telephone|mobile|cell|cellphone|call|calls|calling|text|sms` +
  String.raw`|whatsapp|fax|landline|ring|dial|reach me|contact me|my number|number is)\b`,
  'i'
)

const EXEMPT_REFERENCE = new RegExp(
  '\\b(?:order|orders|ticket|invoice|inv|policy|policies|form|case|ref|reference|tracking|confirmation|booking|reservation|' +
  'receipt|account|acct|employee|emp|badge|staff|id|po|purchase order|claim|request|req|incident|version|ver|section|sec|clause|' +
  'article|item|sku|serial|model|part|room|batch|lot|project|ext|extension|cost cent(?:er|re)|record|file|docket|contract|report|' +
  'isbn|issn|patent|reg|registration|license|licence|vat|tax|customer|member|membership|voucher|code|pin)s?' +
  '\\s*(?:number|numbers|num|no\\.?|nr\\.?|#|id|code|ref)?\\s*[:#.]?\\s*$',
  'i'
)
const CURRENCY_BEFORE = /[$€£¥]\s*$|\b(?:usd|eur|gbp|chf|jpy)\s*$/i
const UNIT_AFTER = new RegExp(
  String.raw`^\s*(?:%|percent|usd|eur|gbp|chf|dollars?|euros?|pounds?|days?|hours?|hrs` +
  String.raw`|minutes?|mins|weeks?|months?|years?|km|miles?|kg|lbs?|mb|gb|tb|employees?` +
  String.raw`|people|points?)\b`,
  'i'
)

function isExemptReference (before: string): boolean {
  return EXEMPT_REFERENCE.test(before)
}

function detectPhone (text: string): PiiMatch[] {
  const found: PiiMatch[] = []
  const accept = (start: number, raw: string, minDigits: number, maxDigits: number, needsContext: boolean): void => {
    const digits = raw.replace(/\D/g, '')
    const end = start + raw.length
    if (digits.length < minDigits || digits.length > maxDigits) return
    const before = text.slice(Math.max(0, start - 40), start).split('\n').pop() ?? ''
    const after = text.slice(end, end + 12)
    if (isExemptReference(before) || CURRENCY_BEFORE.test(before) || UNIT_AFTER.test(after)) return
    if (needsContext && !PHONE_CONTEXT.test(before)) return
    if (found.some((f) => start < f.end && f.start < end)) return
    found.push({ kind: 'phone', start, end, value: digits })
  }
  for (const m of text.matchAll(INTERNATIONAL_PHONE)) {
    const raw = trimInternational(m[0])
    if (raw !== undefined) accept(m.index, raw, raw.startsWith('00') ? 10 : 8, raw.startsWith('00') ? 17 : 15, false)
  }
  for (const m of text.matchAll(NANP_PHONE)) accept(m.index, m[0], 10, 11, false)
  for (const m of text.matchAll(TRUNK_PHONE)) accept(m.index, m[0], 9, 12, false)
  for (const m of text.matchAll(CONTEXT_ONLY_PHONE)) accept(m.index, m[0], 7, 11, true)
  return found
}

// "+44 20 7946 0958 - 3 times": a number ends where two separators meet.
function trimInternational (raw: string): string | undefined {
  const cut = raw.search(/[ .\-\u00a0]{2}/)
  const head = (cut === -1 ? raw : raw.slice(0, cut)).replace(/[^\d)]+$/, '')
  const open = head.split('(').length - 1
  const close = head.split(')').length - 1
  return open === close ? head : undefined
}

function span (kind: PiiKind, m: RegExpMatchArray, value: string): PiiMatch {
  const start = m.index ?? 0
  return { kind, start, end: start + m[0].length, value }
}

// Most specific first: an e-mail or IBAN contains digit runs that later detectors would misread.
const DETECTORS: Detector[] = [
  detectEmail, detectIban, detectNino, detectPassport, detectAddress, detectCard, detectSin, detectSsn, detectIp, detectPhone
]

/** Every PII occurrence in `text`, non-overlapping, in text order. */
export function findPii (text: string): PiiMatch[] {
  let masked = text
  const all: PiiMatch[] = []
  for (const detect of DETECTORS) {
    const matches = dropOverlaps(detect(masked))
    for (const m of matches) {
      masked = masked.slice(0, m.start) + MASK.repeat(m.end - m.start) + masked.slice(m.end)
      all.push(m)
    }
  }
  return all.sort((a, b) => a.start - b.start)
}

function dropOverlaps (matches: PiiMatch[]): PiiMatch[] {
  const kept: PiiMatch[] = []
  for (const m of [...matches].sort((a, b) => a.start - b.start || b.end - a.end)) {
    const prev = kept[kept.length - 1]
    if (prev === undefined || m.start >= prev.end) kept.push(m)
  }
  return kept
}

/** Replaces the chosen PII occurrences with placeholders such as `[EMAIL]`. */
export function replaceMatches (text: string, matches: PiiMatch[]): string {
  let out = ''
  let cursor = 0
  for (const m of [...matches].sort((a, b) => a.start - b.start)) {
    out += text.slice(cursor, m.start) + PII_PLACEHOLDERS[m.kind]
    cursor = m.end
  }
  return out + text.slice(cursor)
}

/** `kind:value` key of an occurrence, as used by allow-lists. */
export function piiKey (match: PiiMatch): string {
  return `${match.kind}:${match.value}`
}

/** Keys of every PII occurrence in `text`, e.g. the corpus's published contact addresses and hotlines. */
export function collectPiiKeys (text: string): Set<string> {
  return new Set(findPii(text).map(piiKey))
}

/** Redacts every occurrence except those whose key is in `allowed` (public company contacts). */
export function redactPii (text: string, allowed?: ReadonlySet<string>): RedactionResult {
  const matches = findPii(text).filter((m) => allowed === undefined || !allowed.has(piiKey(m)))
  if (matches.length === 0) return { text, kinds: [] }
  return { text: replaceMatches(text, matches), kinds: sortKinds(matches.map((m) => m.kind)) }
}

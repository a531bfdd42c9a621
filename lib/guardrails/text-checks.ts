export interface TextProblem {
  message: string
}

export interface TextLimits {
  maxLength: number
  /** Longest run of one repeated character. */
  maxCharRun?: number
  /** Most consecutive repetitions of one word. */
  maxWordRepeats?: number
}

// C0 and C1 controls except tab, line feed and carriage return: matching them is the point.
// oxlint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/

function codePoint (ch: string): string {
  return `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`
}

export function findUnpairedSurrogate (text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c >= 0xD800 && c <= 0xDBFF) {
      const next = text.charCodeAt(i + 1)
      if (next >= 0xDC00 && next <= 0xDFFF) { i++; continue }
      return i
    }
    if (c >= 0xDC00 && c <= 0xDFFF) return i
  }
  return -1
}

/** Checks a question or history turn after schema validation; null when it is acceptable. */
export function validateText (text: string, limits: TextLimits, field = 'question'): TextProblem | null {
  const length = [...text].length
  if (length > limits.maxLength) return { message: `${field} is too long: ${length} characters, at most ${limits.maxLength} allowed` }
  const surrogate = findUnpairedSurrogate(text)
  if (surrogate !== -1) return { message: `${field} contains an unpaired UTF-16 surrogate at position ${surrogate}` }
  const control = CONTROL.exec(text)
  if (control !== null) return { message: `${field} contains a control character (${codePoint(control[0])}) at position ${control.index}` }
  if (text.trim().length === 0) return { message: `${field} is empty or only whitespace` }
  const maxRun = limits.maxCharRun ?? 64
  const run = new RegExp(`([^\\s.\\-=_*#])\\1{${maxRun},}`, 'u').exec(text)
  if (run !== null) return { message: `${field} repeats the character ${JSON.stringify(run[1])} more than ${maxRun} times in a row` }
  const maxRepeats = limits.maxWordRepeats ?? 24
  if (hasWordRepeats(text, maxRepeats)) return { message: `${field} repeats the same word more than ${maxRepeats} times in a row` }
  return null
}

function hasWordRepeats (text: string, max: number): boolean {
  let previous = ''
  let count = 0
  for (const word of text.toLowerCase().split(/[\s,.;:!?]+/)) {
    if (word.length === 0) continue
    count = word === previous ? count + 1 : 1
    previous = word
    if (count > max) return true
  }
  return false
}

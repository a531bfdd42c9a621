/** What the policy corpus covers, in the words shown to employees in refusal messages. */
export const TOPICS_COVERED: readonly string[] = [
  'paid time off and vacation',
  'sick leave',
  'parental leave',
  'public holidays',
  'remote work',
  'overtime',
  'business travel',
  'expenses and reimbursement',
  'code of conduct',
  'harassment and discrimination',
  'equal opportunity',
  'performance reviews',
  'tuition assistance and training',
  'IT acceptable use',
  'information security',
  'passwords and MFA',
  'data privacy',
  'bring your own device (BYOD)',
  'gifts and conflicts of interest',
  'whistleblowing',
  'health and safety',
  'onboarding and offboarding'
]

// Stems of words that tie a question to the workplace; matched on lower-cased text.
const WORKPLACE_TERMS = [
  'pto', 'paid time off', 'time off', 'day off', 'days off', 'vacation', 'annual leave', 'leave', 'holiday', 'sick', 'illness',
  'parental', 'maternity', 'paternity', 'adoption', 'bereavement', 'jury duty', 'remote', 'work from home', 'working from home',
  'wfh', 'hybrid', 'telework', 'overtime', 'shift', 'timesheet', 'hours', 'travel', 'trip', 'flight', 'hotel', 'per diem',
  'mileage', 'expense', 'reimburs', 'receipt', 'corporate card', 'company card', 'conduct', 'harass', 'bully', 'discriminat',
  'retaliat', 'equal opportunit', 'diversity', 'inclusion', 'accommodation', 'performance', 'review', 'appraisal', 'promotion',
  'tuition', 'training', 'course', 'certification', 'degree', 'education', 'learning', 'laptop', 'computer', 'software', 'install',
  'acceptable use', 'internet', 'network', 'vpn', 'wifi', 'wi-fi', 'security', 'infosec', 'phishing', 'malware', 'incident',
  'password', 'passphrase', 'mfa', '2fa', 'two-factor', 'multi-factor', 'authenticat', 'data', 'privacy', 'gdpr', 'personal information',
  'confidential', 'byod', 'own device', 'personal device', 'personal phone', 'mobile device', 'phone', 'gift', 'conflict of interest',
  'conflicts of interest', 'side job', 'side business', 'moonlight', 'outside employment', 'bribe', 'hospitality', 'whistleblow',
  'report', 'ethics', 'hotline', 'safety', 'injury', 'injured', 'accident', 'first aid', 'fire', 'evacuat', 'ergonomic',
  'hazard', 'onboarding', 'offboarding', 'new hire', 'resign', 'notice period', 'last day', 'exit', 'termination', 'return my',
  'badge', 'access', 'policy', 'policies', 'handbook', 'company', 'employer', 'employee', 'staff', 'colleague', 'coworker',
  'co-worker', 'manager', 'supervisor', 'hr', 'human resources', 'payroll', 'salary', 'bonus', 'benefit', 'contract', 'work',
  'office', 'workplace', 'job', 'team', 'approval', 'approve', 'allowed', 'permitted', 'entitled', 'eligible'
]

const WORKPLACE_RE = new RegExp(`\\b(?:${WORKPLACE_TERMS.map(escapeRe).join('|')})`, 'i')

export function mentionsWorkplace (text: string): boolean {
  return WORKPLACE_RE.test(text)
}

/** "a, b and c" from the first `limit` topics, for short refusal messages. */
export function topicsSentence (limit = TOPICS_COVERED.length): string {
  const list = TOPICS_COVERED.slice(0, limit)
  const more = limit < TOPICS_COVERED.length ? ', and more' : ''
  if (list.length === 1) return list[0] + more
  return `${list.slice(0, -1).join(', ')}${more === '' ? ' and' : ','} ${list[list.length - 1]}${more}`
}

function escapeRe (s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

import t from 'tap'
import fc from 'fast-check'
import { findPii, ibanChecksumValid, luhnValid, redactPii } from '../../../lib/guardrails/pii.js'

t.test('e-mail addresses, plain and obfuscated', async (t) => {
  t.same(redactPii('write to john.doe+hr@example.co.uk please'), { text: 'write to [EMAIL] please', kinds: ['email'] })
  t.same(redactPii('jane [at] corp [dot] com').kinds, ['email'])
  t.same(redactPii('meet me at the office dot matrix').kinds, [])
})

t.test('phone numbers in international and national formats', async (t) => {
  const phones = [
    '+1 (555) 123-4567', '+44 20 7946 0958', '+49 30 901820', '+33 1 23 45 67 89', '+81 3-1234-5678', '+91 98765 43210',
    '0044 20 7946 0958', '(555) 123-4567', '555-123-4567', '555.123.4567', '1-800-555-0199', '020 7946 0958', '06 12 34 56 78',
    '030 12345678', '+61 2 9876 5432', '+86 138 0013 8000', '+7 495 123-45-67', '+353 1 234 5678', '+1-800-555-0199'
  ]
  for (const phone of phones) {
    t.same(redactPii(`reach the office on ${phone} today`), { text: 'reach the office on [PHONE] today', kinds: ['phone'] }, phone)
  }
  t.same(redactPii('my cell is 5551234567').text, 'my cell is [PHONE]')
  t.same(redactPii('text me at 555-0173').text, 'text me at [PHONE]')
  t.same(redactPii('call +44 20 7946 0958 - 3 times').text, 'call [PHONE] - 3 times')
})

t.test('numbers that only look like phone numbers stay', async (t) => {
  const nearMisses = [
    'policy 4.2.1', 'form HR-2024-0173', 'order #123456789', 'order number 5551234567', 'ticket 2024-00123',
    'invoice INV-2023-004512', 'version 10.2.3', 'v2.14.0', '2024-03-15', '15/03/2024', '03.15.2024', '$1,250.00',
    '10:30:45', 'PO 4500123456', 'case 00012345', 'policy number 1234-567-8901', '401(k)', 'ISO 27001', 'extension 4521',
    '3-5 business days', '1 000 000 EUR', 'employee ID 00123456', '555 123 4567 USD', 'cost center 4410-200',
    'ISO/IEC 27001:2013', 'section 12.3.4.5', 'build 1.0.0.1', 'Chrome 120.0.6099.129', 'reference 0203 555 0199',
    'a budget of €1 500 000', 'between 9 and 5', 'room 3-117', 'FY2024 Q3', 'GDPR article 6(1)(f)'
  ]
  for (const text of nearMisses) t.same(redactPii(`see ${text} for details`).kinds, [], text)
})

t.test('payment cards need a valid Luhn checksum and a card-network prefix', async (t) => {
  t.same(redactPii('card 4111 1111 1111 1111').text, 'card [CARD]')
  t.same(redactPii('card 5500-0000-0000-0004').text, 'card [CARD]')
  t.same(redactPii('amex 378282246310005').text, 'amex [CARD]')
  t.same(redactPii('visa 4111 1111 1111 1111 expires 2027').text, 'visa [CARD] expires 2027')
  t.same(redactPii('typo 4111 1111 1111 1112').kinds, [])
  t.same(redactPii('code 0000 0000 0000 0000').kinds, [])
  t.same(redactPii('tracking number 4111111111111111').kinds, [], 'a reference number keeps its digits')
  t.same(redactPii('charged on my card, order number 4111111111111111').kinds, ['card'], 'unless a card is mentioned')
  t.ok(luhnValid('79927398713'))
  t.notOk(luhnValid('79927398710'))
})

t.test('US social security numbers', async (t) => {
  t.same(redactPii('my SSN is 123-45-6789').text, 'my SSN is [SSN]')
  t.same(redactPii('it is 123 45 6789').kinds, ['ssn'])
  t.same(redactPii('ssn: 123456789').kinds, ['ssn'])
  t.same(redactPii('employee 123456789').kinds, [], 'nine bare digits need SSN context')
  for (const invalid of ['000-12-3456', '666-12-3456', '912-34-5678', '123-00-4567', '123-45-0000']) {
    t.same(redactPii(`number ${invalid}`).kinds, [], invalid)
  }
})

t.test('Canadian SINs: Luhn-checked, grouped or named; UK NI numbers; passport numbers', async (t) => {
  t.same(redactPii('my SIN is 130 692 544, ok?'), { text: 'my SIN is [SIN], ok?', kinds: ['sin'] })
  t.same(redactPii('keep 272-839-440 on file').text, 'keep [SIN] on file', 'grouped 3-3-3 needs no context')
  t.same(redactPii('SIN: 193456787').kinds, ['sin'])
  t.same(redactPii('social insurance number 193 456 787').kinds, ['sin'], 'labelled sin, not phone or ssn')
  t.same(redactPii('keep 130 692 545 on file').kinds, [], 'fails Luhn: not a SIN')
  t.same(redactPii('keep 830 692 549 on file').kinds, [], 'SINs never start with 8')
  t.same(redactPii('call me on 012 345 678').kinds, ['phone'], 'a trunk-0 number stays a phone number')
  t.same(redactPii('employee 130692544').kinds, [], 'nine bare digits need SIN context')
  t.same(redactPii('order 130 692 544').kinds, [], 'after a reference word it is a reference')

  t.same(redactPii('my NI number is AB 12 34 56 C.'), { text: 'my NI number is [NINO].', kinds: ['nino'] })
  t.same(redactPii('NINO jg103759a').kinds, ['nino'])
  for (const miss of ['QQ123456C', 'GB123456A', 'AB123456E', 'AO123456A', 'XAB123456C', 'AB1234567C']) {
    t.same(redactPii(`code ${miss} here`).kinds, [], miss)
  }

  t.same(redactPii('passport number 533380006 for the trip'), { text: 'passport number [PASSPORT] for the trip', kinds: ['passport'] })
  t.same(redactPii('Passport no. C01X00T47 expires').text, 'Passport no. [PASSPORT] expires')
  t.same(redactPii('my passport: AB123456').kinds, ['passport'])
  for (const miss of ['passport photos 2024', 'passport expires 2027', 'passport renewal fees of 120 dollars', 'passport ABCDEFGH', 'passport 000000000']) {
    t.same(redactPii(miss).kinds, [], miss)
  }
})

t.test('e-mail addresses spelled out with "at" and "dot"', async (t) => {
  t.same(redactPii('send it to jane dot roe at example dot org please'), { text: 'send it to [EMAIL] please', kinds: ['email'] })
  t.same(redactPii('j.smith at mailbox dot co dot uk').kinds, ['email'])
  t.same(redactPii('jane (at) example.org').kinds, ['email'])
  t.same(findPii('Jane Dot Roe AT Example DOT org')[0]?.value, 'jane.roe@example.org', 'one canonical form whatever the spelling')
  for (const miss of ['employees at example.com follow it', 'work at home during the dot com week', 'meet at 9 dot 30', 'look at page 3 dot points']) {
    t.same(redactPii(miss).kinds, [], miss)
  }
})

t.test('IBANs are checked with mod 97', async (t) => {
  t.same(redactPii('iban DE89 3704 0044 0532 0130 00 thanks').text, 'iban [IBAN] thanks')
  t.same(redactPii('GB82WEST12345698765432').kinds, ['iban'])
  t.same(redactPii('fr7630006000011234567890189 is mine').kinds, ['iban'])
  t.same(redactPii('DE89 3704 0044 0532 0130 01').kinds.includes('iban'), false)
  t.ok(ibanChecksumValid('NL91ABNA0417164300'))
  t.notOk(ibanChecksumValid('NL91ABNA0417164301'))
})

t.test('IP addresses', async (t) => {
  t.same(redactPii('from 192.168.1.10 and 10.0.0.1:8080').text, 'from [IP] and [IP]')
  t.same(redactPii('v6 2001:db8::8a2e:370:7334 and fe80::1 and ::ffff:192.0.2.1').text, 'v6 [IP] and [IP] and [IP]')
  t.same(redactPii('subnet 10.20.0.0/16').text, 'subnet [IP]')
  t.same(redactPii('256.1.1.1, 1.2.3, 10:30:00, version 10.0.0.1').kinds, [])
})

t.test('several kinds at once, reported once each in a stable order', async (t) => {
  const r = redactPii('ip 10.0.0.2, mail a@b.io, mail c@d.io, card 4111111111111111')
  t.same(r.kinds, ['email', 'card', 'ip'])
  t.equal(r.text, 'ip [IP], mail [EMAIL], mail [EMAIL], card [CARD]')
  t.same(findPii('a@b.io 10.0.0.2').map((m) => m.value), ['a@b.io', '10.0.0.2'])
})

const luhnCard = fc.tuple(fc.constantFrom('4', '51', '37', '6011'), fc.integer({ min: 13, max: 19 }), fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 19, maxLength: 19 }))
  .map(([prefix, length, fill]) => {
    const body = (prefix + fill.join('')).slice(0, length - 1)
    for (let d = 0; d <= 9; d++) if (luhnValid(body + d)) return body + d
    return body + '0'
  })
  .filter((n) => !/^(\d)\1+$/.test(n))

t.test('property: every Luhn-valid card number is redacted, whatever its grouping', async (t) => {
  fc.assert(fc.property(luhnCard, fc.constantFrom(' ', '-', ''), (card, sep) => {
    const grouped = card.match(/.{1,4}/g)?.join(sep) ?? card
    const r = redactPii(`my card is ${grouped}, thanks`)
    return r.kinds.includes('card') && !r.text.includes(card.slice(-8))
  }), { numRuns: 300 })
  t.pass()
})

t.test('property: versions, dates, times and amounts are never redacted', async (t) => {
  const version = fc.tuple(fc.nat(40), fc.nat(40), fc.nat(99)).map(([a, b, c]) => `version ${a}.${b}.${c}`)
  const date = fc.date({ min: new Date('1990-01-01'), max: new Date('2090-01-01'), noInvalidDate: true }).chain((d) => {
    const iso = d.toISOString().slice(0, 10)
    const [y, m, day] = iso.split('-')
    return fc.constantFrom(iso, `${day}/${m}/${y}`, `${m}.${day}.${y}`, `${day}.${m}.${y}`)
  })
  const time = fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 })).map(([h, m]) => `${h}:${String(m).padStart(2, '0')}:00`)
  const amount = fc.integer({ min: 1, max: 99_999_999 }).map((n) => `$${n.toLocaleString('en-US')}.00`)
  const form = fc.tuple(fc.constantFrom('HR', 'IT', 'FIN', 'SEC'), fc.integer({ min: 1990, max: 2099 }), fc.integer({ min: 0, max: 9999 }))
    .map(([d, y, n]) => `form ${d}-${y}-${String(n).padStart(4, '0')}`)
  fc.assert(fc.property(fc.oneof(version, date, time, amount, form), (s) => redactPii(`see ${s} please`).kinds.length === 0), { numRuns: 500 })
  t.pass()
})

/**
 * Commands to the assistant in French, Spanish, German, Italian, Portuguese and Dutch that the input rules' stock
 * phrasings ("ignore all previous instructions") miss: its rules or instructions addressed as "yours" or "hidden",
 * requests to repeat something word for word, role-play, authorisations, "from now on" orders and developer mode.
 * The sentence encoder reads English only, so for these the classifier and the banks see little meaning. Run only on a
 * question the language check has found not English: a false match then changes which refusal it gets, never whether.
 */

const CONFIG = String.raw`(?:consignes?|instructions?|r[eè]gles|restrictions?|limites?|filtres?|configuration|directives|param[eè]tres` +
  String.raw`|instrucciones|reglas|restricciones|l[ií]mites|filtros|configuraci[oó]n|directrices|indicaciones|anweisungen|vorgaben|regeln` +
  String.raw`|einschr[aä]nkungen|filter|konfiguration|richtlinien|instruktionen|istruzioni|regole|restrizioni|limiti|filtri` +
  String.raw`|configurazione|direttive|instru[cç][oõ]es|regras|restri[cç][oõ]es|configura[cç][aã]o|diretrizes|instructies|regels` +
  String.raw`|beperkingen|configuratie|richtlijnen|prompt|systemprompt|systeemprompt)`
// "Your" said to one person informally: no policy question in these languages asks the assistant about its own rules.
const YOUR = String.raw`(?:tes|ta|ton|tus|tu|deine[nmrs]?|dein|tue|tuoi|tua|tuo|tuas|teus|je|jouw)`
// Formal "your" is also how one asks about the company's rules, so it counts only beside a verb of setting aside or revealing.
const YOUR_FORMAL = String.raw`(?:vos|votre|sus|su|ihre[nmrs]?|suas|seus|sua|seu|uw)`
const SET_ASIDE = String.raw`(?:ignor\w*|oubli\w*|mettre\s+de\s+c[oô]t[eé]|r[eé]v[eé]l\w*|montr\w*|affich\w*|olvid\w*|dejar?\s+de\s+lado` +
  String.raw`|deja\s+de\s+lado|muestr\w*|mostr\w*|revel\w*|au[sß]er\s+acht|beiseite\w*|vergiss\w*|zeig\w*|verrat\w*|mettere\s+da\s+parte` +
  String.raw`|dimentic\w*|riveal\w*|rivel\w*|deixar?\s+de\s+lado|esque[cç]\w*|negeer\w*|vergeet|vergeten|los\s+laten|tonen|laten\s+zien)`
const HIDDEN = String.raw`(?:cach[ée]e?s?|secr[eè]te?s?|secret[ao]s?|ocult[ao]s?|geheime[nmrs]?|versteckte[nmrs]?|verborgen(?:e|en)?` +
  String.raw`|nascost[ei]|segret[ei]|interne?s?|internas|interni|iniciales|initiales|iniziali|anteriores|pr[eé]c[eé]dentes` +
  String.raw`|vorherigen|bisherigen|urspr[uü]nglichen|precedenti|eerdere)`

// Alternatives as whole words; the end is "no letter follows", since \b does not see accented letters as word characters.
function words (alternatives: string[]): RegExp {
  return new RegExp(String.raw`\b(?:${alternatives.join('|')})(?!\p{L})`, 'iu')
}

const FAMILIES: ReadonlyArray<{ id: string, re: RegExp }> = [
  { id: 'foreign_your_rules', re: new RegExp(String.raw`\b${YOUR}\s+(?:\p{L}+\s+)?${CONFIG}\b`, 'iu') },
  {
    id: 'foreign_your_rules',
    re: new RegExp(String.raw`\b${SET_ASIDE}\b[^.?!]{0,40}\b${YOUR_FORMAL}\s+(?:\p{L}+\s+)?${CONFIG}\b` +
      String.raw`|\b${YOUR_FORMAL}\s+(?:\p{L}+\s+)?${CONFIG}\b[^.?!]{0,40}\b${SET_ASIDE}`, 'iu')
  },
  { id: 'foreign_hidden_rules', re: new RegExp(String.raw`\b${HIDDEN}\s+${CONFIG}\b|\b${CONFIG}\s+${HIDDEN}(?![\p{L}])`, 'iu') },
  {
    id: 'foreign_verbatim',
    re: words([
      String.raw`mot\s+(?:pour|à)\s+mot|textuellement|palabra\s+por\s+palabra|al\s+pie\s+de\s+la\s+letra|wort\s+für\s+wort`,
      String.raw`(?:wort)?wörtlich|parola\s+per\s+parola|testualmente|palavra\s+por\s+palavra|literalmente|woord\s+voor\s+woord`,
      'letterlijk'
    ])
  },
  {
    id: 'foreign_role_play',
    re: new RegExp([
      String.raw`\b(?:fais|faites)\s+(?:comme\s+si|semblant)|\bjoue[sz]?\s+le\s+r[oô]le|\bfing[eia]\s+(?:que|ser|di)\b|\bfai\s+finta`,
      String.raw`|\bhaz\s+(?:de\s+cuenta|como\s+si)|\bact[uú]a\s+como\b|\batue\s+como\b|\bcomportati\s+come\b|\btu\s+so,?\s+als\b`,
      String.raw`|\bspiel\s+(?:mal\s+)?(?:meinen|meine|den|die|einen|eine)\b|\bdoe\s+alsof\b|\bspeel\s+(?:mijn|de|een)\b`,
      String.raw`|\bimagina\s+que\s+(?:eres|és|você)|\bstell\s+dir\s+vor,?\s+du\s+bist|\bimmagina\s+di\s+essere|\bimagine\s+que\s+tu\b`
    ].join(''), 'iu')
  },
  {
    id: 'foreign_authority',
    re: words([
      String.raw`je\s+(?:t'|vous\s+)autorise|te\s+autorizo|ti\s+autorizzo|(?:eu\s+)?autorizo\s+voc[eê]`,
      String.raw`ich\s+(?:erlaube|autorisiere|befehle)\s+(?:dir|dich|ihnen)|ordne\s+ich\s+an`,
      String.raw`(?:geef|ik\s+geef)\s+(?:ik\s+)?je\s+toestemming`
    ])
  },
  {
    // An order to approve addressed to the assistant (sentence start or after "and"), not "who approves".
    id: 'foreign_authority',
    re: new RegExp(String.raw`(?:^|[:;,.!]\s*|\b(?:y|et|und|e|en)\s+)(?:aprueba|apru[eé]bame|approuve[zr]?|valide[zr]?` +
      String.raw`|accorde-moi|genehmige|bewillige|approva|aprove|aprova|keur)\b`, 'iu')
  },
  {
    id: 'foreign_from_now_on',
    re: new RegExp(String.raw`\b(?:a\s+partir\s+de\s+(?:ahora|maintenant|agora)|d'ora\s+in\s+poi|d[ée]sormais|ab\s+jetzt|von\s+nun\s+an` +
      String.raw`|ab\s+sofort|vanaf\s+nu|voortaan|de\s+agora\s+em\s+diante)\b[^.?!]{0,60}\b(?:respond\w*|r[ée]pond\w*|rispond\w*` +
      String.raw`|antwort\w*|beantwort\w*|antwoord\w*|beantwoord\w*|eres|sei|bist|es|ben)\b`, 'iu')
  },
  {
    id: 'foreign_developer_mode',
    re: words([
      String.raw`mode\s+d[ée]veloppeur|modo\s+(?:de\s+)?desarrollador|entwicklermodus|modalit[àa]\s+sviluppatore`,
      String.raw`modo\s+(?:de\s+)?desenvolvedor|ontwikkelaarsmodus|filter\s+aus|d[ée]sactive\w*\s+(?:tous\s+)?(?:tes|vos|les)\s+filtres`,
      String.raw`desactiva\w*\s+(?:tus|los)\s+filtros|disattiva\w*\s+(?:i\s+tuoi|i)\s+filtri|desativ\w+\s+(?:seus|os)\s+filtros`,
      String.raw`schakel\s+(?:je|de)\s+filters\s+uit`
    ])
  }
]

/** The id of the first family that matches, or null. Meant for questions found not to be English. */
export function foreignInjection (question: string): string | null {
  const text = question.normalize('NFKC')
  return FAMILIES.find((f) => f.re.test(text))?.id ?? null
}

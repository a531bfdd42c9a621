import type { UntrustedTurn, GuardrailsLevel } from './types.js'
import { mentionsWorkplace } from './topics.js'

export interface InjectionResult {
  injection: boolean
  /** Sum of the strongest weight of each rule that fired (1 weak, 2 medium, 3 strong). */
  score: number
  /** Rule ids, never text from the question. */
  reasons: string[]
  /** `standard` only: the question without the injected sentences, when what is left is a clean policy question. */
  cleaned?: string
}

export interface HistoryInjectionResult {
  injection: boolean
  reasons: string[]
  /** Indices of the offending turns. */
  turns: number[]
}

type Weight = 1 | 2 | 3

interface Rule {
  id: string
  weight: Weight
  re: RegExp
  /** Downgrade to weak when the clause is about the employee or a document, not the assistant. */
  contextual?: boolean
}

type Hits = Map<string, Weight>

const OVERRIDE_VERB =
  String.raw`(?:ignore|ignoring|break|violate|disregarding|bypassing|overriding|forgetting` +
  String.raw`|disobey|defy|disable|deactivate|turn\s+off|switch\s+off|lift|disregard|forget` +
  String.raw`|override|overwrite|bypass|circumvent|skip|drop|discard|abandon|set aside|` +
  String.raw`put aside|throw out|scrap|dismiss|neglect|cancel|erase|delete|reset|clear|` +
  String.raw`wipe|stop following|don't follow|do not follow|no longer follow|stop obeying` +
  String.raw`|don't obey|do not obey)`
const MODIFIERS =
  String.raw`(?:(?:all|any|every|each|the|your|my|these|those|this|of|previous|prior|above` +
  String.raw`|earlier|preceding|former|initial|original|old|existing|current|default|system` +
  String.raw`|developer|given|built-in|builtin|internal|hidden|secret|programmed|stated` +
  String.raw`|aforementioned|foregoing|its|their)\s+)*`
const STRONG_OBJECT =
  String.raw`(?:context|system\s*prompts?|system\s*messages?|prompts?|programming|guardrails?` +
  String.raw`|safeguards?|safety\s*(?:filters?|settings|protocols|training)|content\s*(?:filters?` +
  String.raw`|polic(?:y|ies))|filters?|moderation|conditioning|alignment|directives?|mode)`
const PLAIN_OBJECT = String.raw`(?:instructions?|commands?|orders|context|messages?|conversation|guidance|text)`
const SOFT_OBJECT =
  String.raw`(?:rules|guidelines|restrictions|constraints|limitations|limits|policies|boundaries` +
  String.raw`|principles|ethics|morals|values|training)`
const REVEAL_VERB =
  String.raw`(?:containing|including|read\s+back|read\s+out|export|reply\s+with|respond\s+with` +
  String.raw`|include|append|start\s+with|begin\s+with|what\s+(?:does|do|did)|print|show` +
  String.raw`|reveal|display|output|repeat|recite|tell|give|share|leak|dump|write|list|` +
  String.raw`spell|type|copy|paste|paraphrase|summari[sz]e|translate|disclose|expose|provide` +
  String.raw`|send|return|echo|quote|read|what\s+(?:is|are|was|were)|what's|whats)`
const PROMPT_OBJECT =
  String.raw`(?:(?:system|initial|original|hidden|secret|internal|underlying|core|base|` +
  String.raw`meta|developer|dev|pre)[\s-]*(?:prompt|message|instructions)|pre-?prompt|prompt\s*template` +
  String.raw`|(?:hidden\s+|initial\s+|system\s+)?pre-?amble|your\s+(?:\w+\s+)?(?:setup|` +
  String.raw`set-up|boot|initiali[sz]ation)(?:\s+(?:text|message|prompt))?|your\s+(?:\w+\s+){0,2}(?:instructions` +
  String.raw`|prompt|configuration|config|programming|directives|context\s*window|training\s*data` +
  String.raw`|hidden\s*rules|rules\s*verbatim|guidelines\s*verbatim|initial\s*message|first\s*message)` +
  String.raw`)`
// "the system prompts you to..." uses prompt as a verb; "your instructions for expenses" asks about a procedure.
const NOT_VERB_PROMPT = String.raw`(?!(?<=prompts?)\s*(?:me|you|us|them|him|her|users?|employees?)\b)(?!\s*for\b)`

const RULES: Rule[] = [
  { id: 'override_instructions', weight: 3, contextual: true, re: new RegExp(
    String.raw`\b${OVERRIDE_VERB}\s+${MODIFIERS}(?:\w+\s+)?${STRONG_OBJECT}\b${NOT_VERB_PROMPT}`, 'g') },
  { id: 'override_instructions', weight: 3, contextual: true, re: new RegExp(
    String.raw`\b${OVERRIDE_VERB}\s+(?:(?:all|any|every)\s+)?(?:(?:of\s+)?(?:the|your|my` +
    String.raw`|these|those)\s+)?(?:\w+\s+)?(?:previous|prior|above|earlier|preceding|former` +
    String.raw`|initial|original|foregoing|aforementioned|given|existing|system|developer)` +
    String.raw`\s+(?:\w+\s+)?${PLAIN_OBJECT}\b`, 'g') },
  { id: 'override_instructions', weight: 3, contextual: true, re: new RegExp(
    String.raw`\b${OVERRIDE_VERB}\s+(?:all|any|every)\s+(?:(?:of\s+)?(?:the|your|my|these` +
    String.raw`|those)\s+)?(?:\w+\s+)?(?:${PLAIN_OBJECT}|polic(?:y|ies)|rules|guidelines)` +
    String.raw`\b`, 'g') },
  { id: 'override_instructions', weight: 3, re: new RegExp(
    String.raw`\b${OVERRIDE_VERB}\s+(?:all\s+(?:of\s+)?)?(?:your|the\s+(?:ai|assistant|` +
    String.raw`model|bot|chatbot)'?s?)\s+(?:\w+\s+)?(?:${SOFT_OBJECT}|${PLAIN_OBJECT})\b`, 'g') },
  { id: 'override_instructions', weight: 2, contextual: true, re: new RegExp(
    String.raw`\b${OVERRIDE_VERB}\s+(?:all\s+)?(?:the\s+|these\s+|those\s+)?(?:previous` +
    String.raw`|prior|above|earlier|preceding)\s+${SOFT_OBJECT}\b`, 'g') },
  { id: 'override_instructions', weight: 2, contextual: true, re: new RegExp(
    String.raw`\b${OVERRIDE_VERB}\s+(?:the\s+)?(?:\w+\s+)?${PLAIN_OBJECT}\b`, 'g') },
  { id: 'override_instructions', weight: 3, re: new RegExp(
    String.raw`\b${OVERRIDE_VERB}\s+(?:all\s+(?:of\s+)?)?(?:the\s+)?(?:above|foregoing|` +
    String.raw`preceding)(?=\s*(?:$|[.,;:!?]|and\b|then\b|instead\b))`, 'g') },
  { id: 'override_instructions', weight: 3, re: new RegExp(
    String.raw`\b(?:forget|ignore|disregard)\s+(?:about\s+)?(?:everything|anything|all(?: of it)?` +
    String.raw`|what)\s+(?:(?:that\s+)?(?:you(?:'ve| have)?\s+(?:know|knew|were told|was told` +
    String.raw`|learned|learnt|been told)|i\s+(?:said|told you|wrote)|(?:was\s+|is\s+)?(?:said` +
    String.raw`|written|stated|mentioned)?\s*(?:above|before|earlier|previously|so far)))`,
    'g'
  ) },
  { id: 'override_instructions', weight: 3, re: new RegExp(
    String.raw`\b(?:new|updated|revised|real|actual|true|secret|additional|override)\s+(?:system\s+)?(?:instructions?` +
    String.raw`|rules?|directives?|task|orders|prompt)\s*:`,
    'g'
  ) },
  { id: 'override_instructions', weight: 3, re: new RegExp([
    String.raw`\b(?:ignore|disregard|forget|set\s+aside)\b[^.?!\n]{0,40}\b(?:in|from)` +
      String.raw`\s+your\s+(?:context|prompt|instructions|sources|documents|knowledge\s+base)\b`,
    String.raw`\b(?:ignore|disregard|forget|set\s+aside|don't\s+use|do\s+not\s+use)\s+(?:the\s+` +
      String.raw`|these\s+|any\s+)?(?:retrieved|provided|given|supplied|attached|above)` +
      String.raw`\s+(?:documents|sources|passages|context|policies|excerpts|snippets)\b`
  ].join('|'), 'g') },
  { id: 'override_instructions', weight: 3, re: new RegExp([
    String.raw`\byou\s+(?:must|will|shall|have\s+to)\s+(?:now\s+|always\s+)?(?:answer` +
      String.raw`|respond|reply|comply|obey)\s+(?:to\s+)?(?:every|all|any)\b`,
    String.raw`\b(?:i\s+am|i'm)\s+your\s+(?:developer|creator|admin|administrator|owner|maker|programmer|operator)\b`,
    String.raw`\bthis\s+is\s+(?:the|your)\s+(?:developer|admin|administrator|creator|system|operator|owner|maker)s?\b`
  ].join('|'), 'g') },
  { id: 'output_control', weight: 2, re: new RegExp([
    String.raw`\b(?:respond|reply|answer)\s+only\s+with\b`,
    String.raw`\b(?:start|begin)\s+your\s+(?:answer|response|reply)\s+with\b`
  ].join('|'), 'g') },
  { id: 'output_control', weight: 3, re: new RegExp(
    String.raw`\b(?:start|begin|end|prefix|preface|sign)\s+(?:every|each|all|all\s+of\s+your` +
    String.raw`|your)\s+(?:replies|reply|answers?|responses?|messages?)\s+with\b`,
    'g'
  ) },
  { id: 'override_soft', weight: 2, re: new RegExp([
    String.raw`\bregardless\s+of\s+(?:the|my|any|your)\s+(?:question|instructions|rules|policy|policies|guidelines)\b`,
    String.raw`\b(?:use|rely\s+on)\s+your\s+own\s+(?:knowledge|opinions?|judgment|training)\b`,
    String.raw`\b(?:speak|talk|answer|respond)\s+freely\b|\baccess\s+granted\b`
  ].join('|'), 'g') },
  { id: 'override_instructions', weight: 3, re: /(?:^|\n)\s*sudo\s+\w|(?:^|\n)\s*(?:override|debug|priority|root|jailbreak)\s*:/g },
  { id: 'override_instructions', weight: 3, re: new RegExp([
    String.raw`\bno\s+matter\s+what\s+(?:the\s+|your\s+|any\s+)?(?:polic(?:y|ies)|rules` +
      String.raw`|instructions|guidelines|sources|documents)\s+(?:says?|states?|tells?\s+you)\b`,
    String.raw`\byou\s+(?:will\s+|must\s+|shall\s+|should\s+|now\s+)?(?:answer|respond\s+to` +
      String.raw`|reply\s+to|do)\s+(?:everything|anything|whatever)\s+(?:i|we)\s+(?:ask` +
      String.raw`|say|want|tell\s+you)\b`
  ].join('|'), 'g') },
  { id: 'override_instructions', weight: 3, re: new RegExp([
    String.raw`\b(?:treat|consider|interpret|read)\s+this\s+(?:message|prompt|input|text` +
      String.raw`|request)\s+as\s+(?:(?:coming\s+)?from|an?\s+(?:system|admin|developer` +
      String.raw`|instruction|command|order))\b`,
    String.raw`\b(?:coming|comes|sent)\s+from\s+your\s+(?:system\s+)?(?:administrator` +
      String.raw`|admin|developers?|creators?|owners?|operators?)\b`,
    String.raw`\b(?:the|your)\s+(?:developers?|creators?|makers?|programmers?|owners?)` +
      String.raw`\s+(?:said|say|says|told\s+me|allowed|approved|authori[sz]ed|want)\b`,
    String.raw`\b(?:openai|anthropic)\s+(?:said|says|allows?|approved|authori[sz]ed)\b`
  ].join('|'), 'g') },
  { id: 'override_instructions', weight: 3, contextual: true, re: new RegExp([
    String.raw`\b(?:unlock|remove|lift|disable|turn\s+off|switch\s+off)\s+(?:all\s+|your\s+` +
      String.raw`|the\s+|any\s+)?(?:answers|restrictions|limits|limitations|filters|safeguards` +
      String.raw`|censorship|guardrails|safety\s+checks?|policy\s+checks?)\b`,
    String.raw`\b(?:ignoring|disregarding|bypassing|circumventing|overriding|skipping)` +
      String.raw`\s+(?:the\s+|your\s+|all\s+|any\s+|company\s+)?(?:\w+\s+)?(?:polic(?:y` +
      String.raw`|ies)|rules|guidelines|sources|documents|context|instructions|limits|restrictions` +
      String.raw`|policy\s+checks?)\b`
  ].join('|'), 'g') },
  { id: 'assistant_meta', weight: 2, re: new RegExp([
    String.raw`\byour\s+(?:\w+\s+){0,2}(?:instructions|prompt|system\s+message|configuration` +
      String.raw`|config|programming|context\s+window|internal\s+variables|hidden\s+(?:rules` +
      String.raw`|parts|text)|guardrails|directives)\b(?!\s+(?:for|on|about|regarding|to)\b)`,
    String.raw`\bwithout\s+(?:citing|citations|any\s+(?:citations|sources|references)|sources|references)\b`
  ].join('|'), 'g') },
  { id: 'override_instructions', weight: 3, re: new RegExp(
    String.raw`\b(?:previous|prior|earlier|above|your|all|original|initial|system)\s+(?:instructions` +
    String.raw`|rules|guidelines|prompt|directives|restrictions|policies)\s+(?:are|is|have\s+been` +
    String.raw`|has\s+been|were|was)\s+(?:now\s+)?(?:void|cancell?ed|revoked|obsolete|outdated` +
    String.raw`|wrong|invalid|null|overridden|updated|changed|replaced|lifted|suspended` +
    String.raw`|disabled|removed|no\s+longer\s+(?:valid|active|in\s+effect|apply|applicable))\b`,
    'g'
  ) },
  { id: 'void_claim', weight: 2, re: new RegExp(
    String.raw`\b(?:instructions|rules|guidelines|prompt|directives|restrictions|policies)` +
    String.raw`\s+(?:are|is|have\s+been|has\s+been)\s+(?:now\s+)?(?:void|null|revoked|suspended` +
    String.raw`|lifted|disabled|overridden)\b`,
    'g'
  ) },
  { id: 'output_control', weight: 2, re: /\brepeat\s+after\s+me\b/g },
  { id: 'override_instructions', weight: 3, re: new RegExp([
    String.raw`\b(?:the\s+)?(?:assistant|ai|bot|chatbot|model|you)\s+(?:may|can|is\s+allowed\s+to` +
      String.raw`|are\s+allowed\s+to|is\s+free\s+to|are\s+free\s+to)\s+now\s+(?:answer|say` +
      String.raw`|discuss|share|reveal|ignore|do)\s+(?:anything|everything|whatever)\b`,
    String.raw`\b(?:set|change|increase|raise|lower|adjust)\s+your\s+(?:temperature|top[_\s-]?p` +
      String.raw`|max[_\s-]?tokens|system\s+prompt|settings|parameters|mode)\b`,
    String.raw`\b(?:you\s+have\s+been|you've\s+been|you\s+are\s+now|you're\s+now)\s+(?:freed` +
      String.raw`|released|liberated|unlocked|unshackled)\b`
  ].join('|'), 'g') },
  { id: 'override_instructions', weight: 3, re: new RegExp([
    String.raw`\byou\s+(?:no\s+longer|don't|do\s+not|won't|will\s+not)\s+(?:have|need)` +
      String.raw`\s+to\s+(?:follow|obey|stick\s+to|adhere\s+to|respect|comply\s+with|use)\b`,
    String.raw`\byou\s+(?:are|'re)\s+(?:now\s+)?(?:allowed|permitted|free|authori[sz]ed)` +
      String.raw`\s+to\s+(?:ignore|discuss|share|reveal|disclose|answer\s+anything|say\s+anything|break)\b`,
    String.raw`\b(?:don't|do\s+not)\s+(?:answer|respond|reply)\s+(?:with|using|from|based\s+on)` +
      String.raw`\s+(?:the\s+)?(?:policy|policies|sources|documents|context|retrieved|provided)\b`
  ].join('|'), 'g') },
  { id: 'override_instructions', weight: 3, re: new RegExp([
    String.raw`\b(?:where|in\s+which|world\s+(?:where|in\s+which)|pretend|imagine|assume` +
      String.raw`|suppose)\s+(?:that\s+)?(?:the\s+)?(?:rules|policies|restrictions|guidelines` +
      String.raw`|filters|laws)\s+(?:do\s+not|don't|no\s+longer|never)\s+apply\b`,
    String.raw`\b(?:imagine|pretend|suppose|assume|let's\s+say)\s+(?:that\s+)?(?:there\s+(?:are` +
      String.raw`|were)\s+no|a\s+world\s+without)\s+(?:policies|rules|restrictions|guidelines` +
      String.raw`|filters|limits)\b`
  ].join('|'), 'g') },
  { id: 'override_soft', weight: 2, re: new RegExp([
    String.raw`\byou\s+may\s+now\s+(?:discuss|share|reveal|ignore|answer|say|talk)\b`,
    String.raw`\b(?:answer|respond|speak|reply)\s+as\s+yourself\b`,
    String.raw`\b(?:say|tell\s+me|share|write)\s+what\s+you\s+(?:truly|really|actually` +
      String.raw`|honestly|personally)\s+(?:believe|think|feel)\b`,
    String.raw`[;,.]\s*instead,?\s+(?:say|tell|write|answer|respond|print|output|give)\b`
  ].join('|'), 'g') },
  { id: 'override_instructions', weight: 3, contextual: true, re: new RegExp(
    String.raw`(?:^|[.!?\n]\s*)(?:please\s+|kindly\s+|now\s+|just\s+|ok(?:ay)?,?\s+)?(?:ignore` +
    String.raw`|disregard|forget|override|bypass|drop|skip|set\s+aside)\s+(?:all\s+)?(?:the\s+` +
    String.raw`|these\s+|those\s+|your\s+|any\s+)?(?:\w+\s+)?(?:policies|policy\s+documents` +
    String.raw`|documents|sources|rules|context|handbook|guidelines|restrictions|limits` +
    String.raw`|constraints|filters|instructions|prompt)\b`,
    'g'
  ) },
  { id: 'override_instructions', weight: 3, re: new RegExp(
    String.raw`\byour\s+(?:new|real|actual|true|only|next)\s+(?:task|role|instructions?` +
    String.raw`|objective|goal|purpose|job|mission|directive|persona|identity)\s+(?:is` +
    String.raw`|are|will be)\b`,
    'g'
  ) },
  { id: 'override_instructions', weight: 3, re: new RegExp(
    String.raw`\b(?:instead|rather),?\s+(?:of\s+(?:answering|following)|you\s+(?:will|must` +
    String.raw`|should|shall))\b`,
    'g'
  ) },
  { id: 'override_instructions', weight: 3, re: new RegExp([
    String.raw`(?:^|[.!?\n]\s*|\b(?:this\s+is\s+an?|initiating|activate|enable|execute)` +
      String.raw`\s+)(?:admin(?:istrator)?|developer|sudo|root|system|priority|emergency` +
      String.raw`|security)\s+(?:override|command)\b`,
    String.raw`\b(?:admin(?:istrator)?|developer|sudo|root|system|priority|emergency|security)` +
      String.raw`\s+(?:override|command)\s*(?:[:!]|(?:code|activated|enabled|engaged|granted` +
      String.raw`|accepted|confirmed)\b)`,
    String.raw`\b(?:admin(?:istrator)?|developer|sudo|root|system)\s+(?:mode\s+(?:on|enabled|activated)|access\s+granted)\b`
  ].join('|'), 'g') },

  { id: 'role_change', weight: 3, re: new RegExp(
    String.raw`\byou\s+are\s+now\b(?!\s+(?:eligible|entitled|enrolled|covered|registered` +
    String.raw`|required|able|allowed|permitted|subject|responsible|on\s+(?:probation|leave` +
    String.raw`|the)|in\s+(?:the|your)\s+(?:probation|notice)|(?:a|an)\s+(?:full|part)` +
    String.raw`[- ]time|(?:a|an)\s+(?:permanent|regular|salaried|exempt|non-exempt|employee` +
    String.raw`|member|manager|contractor|intern|participant)))`,
    'g'
  ) },
  { id: 'role_change', weight: 3, re: new RegExp(
    String.raw`\bfrom\s+(?:now|this\s+point|here)\s+on(?:wards?)?,?\s+(?:you|your|respond` +
    String.raw`|answer|reply|act|behave|only|always|never|ignore|pretend|speak|talk|write` +
    String.raw`|output|forget)\b`,
    'g'
  ) },
  { id: 'role_change', weight: 3, contextual: true, re: /\bpretend\s+(?:that\s+)?(?:you|you're|to\s+be)\b/g },
  { id: 'role_change', weight: 3, re: new RegExp(
    String.raw`(?:^|[.!?\n]\s*)(?:please\s+|now\s+|ok(?:ay)?,?\s+)?(?:act|behave|respond` +
    String.raw`|answer|reply|talk|speak|write)\s+(?:as\s+if|as\s+though|like)\s+you\s+(?:are` +
    String.raw`|were|have|had|can|could)\b`,
    'g'
  ) },
  { id: 'role_change', weight: 3, re: new RegExp(
    String.raw`\b(?:stop|quit)\s+(?:being|acting\s+(?:like|as)|pretending\s+to\s+be|playing)` +
    String.raw`\s+(?:an?\s+|the\s+)?(?:\w+\s+)?(?:bot|assistant|ai|chatbot|model|helpful|robot)\b`,
    'g'
  ) },
  { id: 'role_change', weight: 3, re: new RegExp([
    String.raw`\b(?:forget|ignore|disregard)\s+(?:that\s+)?you(?:'re|\s+are)\b`,
    String.raw`\b(?:change|switch|swap|drop|lose|abandon|replace)\s+(?:your|the\s+assistant'?s)` +
      String.raw`\s+(?:persona|personality|character|identity|role)\b`,
    String.raw`\b(?:let's|let\s+us|we)\s+(?:switch|swap|reverse|trade|exchange)\s+roles\b|\bdrop\s+the\s+act\b|\bbreak\s+character\b`,
    String.raw`\bstop\s+pretending\b`
  ].join('|'), 'g') },
  { id: 'policy_amnesia', weight: 2, re: new RegExp(
    String.raw`\b(?:never\s+heard\s+of|doesn't\s+know\s+(?:about|of)|does\s+not\s+know\s+(?:about` +
    String.raw`|of)|has\s+no\s+knowledge\s+of|knows\s+nothing\s+(?:about|of))\s+(?:the\s+` +
    String.raw`|any\s+|company\s+|our\s+)?(?:polic(?:y|ies)|rules|guidelines|restrictions)\b`,
    'g'
  ) },
  { id: 'role_change', weight: 3, re: new RegExp([
    String.raw`\b(?:emulate|simulate|impersonate|play\s+the\s+role\s+of|role-?\s?play\s+as` +
      String.raw`|become)\s+(?:an?\s+|the\s+)?(?:\w+\s+)?(?:bot|assistant|ai|chatbot|model` +
      String.raw`|character|persona|version\s+of\s+(?:you|yourself)|conversation\s+where\s+you)\b`,
    String.raw`\byou(?:'re|\s+are)\s+(?:now\s+)?(?:chatgpt|gpt-?\d\w*|claude|gemini|bard` +
      String.raw`|llama|copilot|siri|alexa|an?\s+(?:different|new|general(?:-purpose)?|normal` +
      String.raw`|regular|generic|unrestricted)\s+(?:ai|assistant|chatbot|bot|model))\b`
  ].join('|'), 'g') },
  { id: 'role_change', weight: 3, contextual: true, re: new RegExp([
    String.raw`\bpretend\s+(?:that\s+)?(?:the\s+)?(?:\w+\s+)?(?:polic(?:y|ies)|documents|sources|handbook|rules|context)\b`,
    String.raw`\b(?:ignore|forget|disregard)\s+(?:everything|all\s+of\s+(?:that|it|this)` +
      String.raw`|all\s+that|it\s+all)\b(?!\s+(?:in|on|about|from|except|but)\b)`
  ].join('|'), 'g') },
  { id: 'role_change', weight: 3, re: new RegExp([
    String.raw`\b(?:suppose|imagine|pretend|assume)\s+(?:that\s+)?(?:the\s+)?(?:\w+\s+)?(?:handbook` +
      String.raw`|polic(?:y|ies)|rules|guidelines|sources|documents)\s+(?:did\s+not|didn't` +
      String.raw`|does\s+not|doesn't|do\s+not|don't|never)\s+(?:exist|apply|existed)\b`,
    String.raw`\breset\s+yourself\b|\bfactory\s+settings\b[^.?!\n]{0,40}\b(?:you|yourself|answer)\b`
  ].join('|'), 'g') },
  { id: 'persona_generic', weight: 2, re: new RegExp(
    String.raw`\b(?:general[- ]purpose|generic|normal|regular|ordinary|unrestricted|unlimited)` +
    String.raw`\s+(?:chatbot|assistant|ai|model|bot|llm)\b`,
    'g'
  ) },
  { id: 'override_instructions', weight: 3, re: new RegExp([
    String.raw`\byour\s+(?:creators?|developers?|makers?|programmers?|owners?|operators?)` +
      String.raw`\s+(?:\w+\s+)?(?:forbid|forbade|forbidden|prohibit\w*|told|instruct\w*` +
      String.raw`|ban\w*|block\w*|said)\b`,
    String.raw`\bauthori[sz](?:es|ed|ing)?\s+you\s+to\s+(?:skip|ignore|bypass|break|share|reveal|disclose|discuss|override)\b`
  ].join('|'), 'g') },
  { id: 'persona_hint', weight: 2, re: new RegExp([
    String.raw`\bnot\s+(?:an?\s+)?(?:hr|policy|company|harbourline)\s+(?:assistant|bot|chatbot|ai)\b`,
    String.raw`\b(?:who|that)\s+(?:set\s+you\s+up|configured\s+you|programmed\s+you|built\s+you` +
      String.raw`|created\s+you|made\s+you|trained\s+you|deployed\s+you)\b`
  ].join('|'), 'g') },
  { id: 'secret_probe', weight: 2, re: /\btold\s+you\s+(?:to\s+)?(?:never|not|always)\b|\btell\s+you\s+(?:to\s+)?(?:never|not|always)\b/g },
  { id: 'override_instructions', weight: 3, re: new RegExp([
    String.raw`\b(?:as\s+your|i\s+am\s+your|i'm\s+your)\s+(?:administrator|admin|developer` +
      String.raw`|creator|owner|operator|master|programmer)\b`,
    String.raw`\b(?:grant(?:ing)?|give|giving)\s+you\s+(?:full\s+|special\s+|admin\s+` +
      String.raw`|my\s+)?(?:permission|access|clearance|authori[sz]ation|rights)\b`
  ].join('|'), 'g') },
  { id: 'role_change', weight: 3, re: /\brole-?\s?play\b[^.?!\n]{0,20}\byou\s+(?:are|will\s+be|play|should\s+be)\b/g },
  { id: 'role_change', weight: 3, re: new RegExp(
    String.raw`\b(?:imagine|suppose|assume|hypothetically|let's\s+say)\b[^.?!\n]{0,30}\byou\s+(?:are` +
    String.raw`|were|had|have|could)\s+(?:an?\s+)?(?:ai|assistant|model|chatbot|bot|character` +
    String.raw`|human|person|evil|unrestricted|unfiltered|free|no\s+longer|not\s+bound` +
    String.raw`|without|allowed)`,
    'g'
  ) },
  { id: 'role_change', weight: 2, contextual: true, re: new RegExp(
    String.raw`\b(?:answer|respond|reply|act|behave|talk|speak)\s+(?:as|like)\s+(?:an?\s+)?(?:\w+\s+)?(?:assistant` +
    String.raw`|ai|chatbot|model|bot|llm|gpt|chatgpt|human\s+being)\b`,
    'g'
  ) },
  { id: 'role_change', weight: 2, contextual: true, re: new RegExp(
    String.raw`\b(?:act|behave|respond|answer|reply|talk|speak|write)\s+(?:as\s+if|as\s+though` +
    String.raw`|like)\s+you\s+(?:are|were|have|had|can|could)\b`,
    'g'
  ) },
  { id: 'role_change', weight: 3, contextual: true, re: new RegExp(
    String.raw`(?:^|[.!?\n,;:]\s*|\band\s+|\bthen\s+)(?:please\s+|now\s+|ok(?:ay)?,?\s+)?(?:act` +
    String.raw`|behave|pose|serve|function|operate|speak|talk|write|answer|respond|reply)` +
    String.raw`\s+as\s+(?:a|an|my|the|if|her|him|them)\b`,
    'g'
  ) },
  { id: 'role_change', weight: 2, re: new RegExp([
    String.raw`\b(?:let's|let\s+us|we(?:'ll|\s+will)|you(?:'ll|\s+will)?)\s+role-?\s?play\b|\brole-?\s?play\s+(?:as|with\s+me)\b`,
    String.raw`\b(?:let's\s+play\s+a\s+game|let's\s+pretend|let\s+us\s+pretend|play\s+a\s+game\s+with\s+me` +
      String.raw`|stay\s+in\s+character|break\s+character|new\s+persona|alter\s+ego|opposite\s+(?:mode` +
      String.raw`|day)|evil\s+(?:twin|mode|confidant|assistant|hr|version|you|bot|ai))\b`
  ].join('|'), 'g') },
  { id: 'role_change', weight: 2, re: new RegExp(
    String.raw`\byou\s+(?:will|must|shall|should)\s+(?:now\s+)?(?:act|behave|pretend|respond\s+as` +
    String.raw`|answer\s+as|become|be\s+(?:an?|my))\b`,
    'g'
  ) },
  { id: 'no_rules', weight: 3, re: new RegExp(
    String.raw`\byou\s+(?:have|had|now\s+have|are\s+free\s+(?:of|from)|are\s+not\s+bound\s+by` +
    String.raw`|aren't\s+bound\s+by|don't\s+have|do\s+not\s+have)\s+(?:no\s+|any\s+)?(?:rules` +
    String.raw`|restrictions|guidelines|filters|limits|limitations|boundaries|ethics|morals` +
    String.raw`|policies|content\s+policy|censorship|constraints|guardrails)\b`,
    'g'
  ) },
  { id: 'no_rules', weight: 3, re: new RegExp(
    String.raw`\b(?:answer|respond|reply|speak|talk|act|operate|behave|write|output|assistant` +
    String.raw`|ai|model|chatbot|mode|version|yourself|session|conversation|chat)\b[^.?!\n]{0,60}\b(?:without` +
    String.raw`|with\s+(?:no|zero)|free\s+(?:of|from)|ignoring)\s+(?:any\s+|your\s+|the\s+)?(?:usual\s+` +
    String.raw`|normal\s+|built-in\s+|standard\s+)?(?:safety\s+|content\s+|ethical\s+|company\s+)?(?:rules` +
    String.raw`|restrictions|filters|filtering|censorship|limits|limitations|guidelines` +
    String.raw`|guardrails|ethics|morals|moral|ethical|safety|content\s+polic(?:y|ies))\b`,
    'g'
  ) },
  { id: 'no_rules', weight: 3, re: new RegExp(
    String.raw`\b(?:no|without)\s+(?:ethical|moral|content|safety)\s+(?:guidelines|restrictions` +
    String.raw`|filters|limits|constraints)\b`,
    'g'
  ) },
  { id: 'override_instructions', weight: 3, re: new RegExp([
    String.raw`\bignor(?:a|e|ez)\s+(?:todas\s+|toutes\s+)?(?:las|les)\s+instrucciones`,
    String.raw`\bignor(?:e|ez)\s+(?:toutes\s+)?les\s+instructions\s+pr[eé]c[eé]dentes`,
    String.raw`\bignoriere\s+(?:alle\s+)?(?:vorherigen|bisherigen|obigen)\s+anweisungen|\bignora\s+(?:tutte\s+)?le\s+istruzioni`
  ].join('|'), 'g') },
  // The same commands in French, Spanish, German, Italian, Portuguese and Dutch: a verb of overriding or revealing near the
  // assistant's instructions or rules, or a demand to answer without limits.
  { id: 'override_foreign', weight: 3, re: new RegExp([
    String.raw`\b(?:ignorez|ignora|ignoras|ignoriere|ignorier|ignoreer|negeer|oublie|oubliez` +
      String.raw`|olvida|olvide|vergiss|vergeet|dimentica|esque[cç]a|esquece|montre|montrez` +
      String.raw`|r[eé]v[eè]le|r[eé]v[eé]lez|affiche|affichez|muestra|mu[eé]strame|revela` +
      String.raw`|rev[eé]lame|dime|dites|zeig|zeige|verrate|mostra|mostrami|mostre|rivela` +
      String.raw`|rivelami|toon|vertel|diga)\b[^.?!\n]{0,50}(?:\b(?:consignes|r[eè]gles` +
      String.raw`|instrucciones|reglas|instru[cç][oõ]es|regras|istruzioni|regole|anweisungen` +
      String.raw`|regeln|richtlinien|vorgaben|instructies|regels|richtlijnen|directivas` +
      String.raw`|diretrizes|systemprompt)\b|\b(?:les|tes|vos|ton|votre)\s+(?:instructions` +
      String.raw`|prompt)\b|\b(?:message|mensaje|mensagem|messaggio)\s+(?:syst[eè]me|de\s+sistema` +
      String.raw`|do\s+sistema|di\s+sistema)\b)`,
    String.raw`\b(?:sans|sin|ohne|senza|sem|zonder)\s+(?:aucune\s+|ninguna\s+|jegliche\s+` +
      String.raw`|alcun\w*\s+|nenhuma\s+)?(?:restrictions?|restricciones|einschr[aä]nkungen` +
      String.raw`|limites|l[ií]mites|limiti|filtres|filtros|filtri|filter|regeln|r[eè]gles` +
      String.raw`|reglas|regole|regras|restri[cç][oõ]es|beperkingen|grenzen)\b`
  ].join('|'), 'g') },
  { id: 'jailbreak', weight: 3, re: new RegExp(
    String.raw`\b(?:do\s+anything\s+now|betterdan|better\s+dan|anti-?gpt|evilbot|mongo\s+tom` +
    String.raw`|aim\s+mode|dan\s+mode|stan\s+mode|dude\s+mode|god\s+mode|chaos\s+mode|unlocked\s+mode` +
    String.raw`|jailbroken\s+mode)\b`,
    'g'
  ) },
  { id: 'jailbreak', weight: 3, contextual: true, re: new RegExp(
    String.raw`\b(?:enable|activate|enter|switch\s+(?:to|into)|turn\s+on|go\s+into|you\s+are\s+in` +
    String.raw`|you're\s+in|now\s+in|engage)\s+(?:the\s+)?(?:developer|debug|maintenance` +
    String.raw`|admin|god|unrestricted|unfiltered|sudo|root|test)\s+mode\b`,
    'g'
  ) },
  { id: 'jailbreak', weight: 3, re: new RegExp([
    String.raw`\bjailbr(?:eak|oken|eaking)\s+(?:you|yourself|this\s+(?:ai|assistant|chat` +
      String.raw`|bot|model)|the\s+(?:ai|assistant|chatbot|bot|model)|prompt|mode)\b`,
    String.raw`\b(?:a|as\s+a|you\s+are\s+a|you're\s+a)\s+jailbroken\b`
  ].join('|'), 'g') },
  { id: 'jailbreak', weight: 3, re: new RegExp(
    String.raw`\b(?:answer|respond|reply|be|give|provide|speak|talk|mode|version|output` +
    String.raw`|write)\b[^.?!\n]{0,20}\b(?:unfiltered|uncensored|unrestricted|unmoderated)\b`,
    'g'
  ) },
  { id: 'jailbreak', weight: 3, re: new RegExp(
    String.raw`\b(?:unrestricted|unfiltered|uncensored|jailbroken|evil|amoral|unaligned)` +
    String.raw`\s+(?:ai|assistant|model|chatbot|bot|llm|version\s+of\s+you)\b`,
    'g'
  ) },
  { id: 'jailbreak', weight: 1, re: /\b(?:jailbr(?:eak|oken|eaking)|unfiltered|uncensored|developer\s+mode)\b/g },
  { id: 'jailbreak', weight: 3, re: new RegExp([
    String.raw`\b(?:override|god|admin|developer|debug|unrestricted|test|maintenance|jailbreak` +
      String.raw`|dan|sudo|root)\s+mode\s+(?:is\s+)?(?:on|enabled|activated|engaged|unlocked)\b`,
    String.raw`\bopposite\s+day\b`
  ].join('|'), 'g') },
  { id: 'override_instructions', weight: 3, re: new RegExp([
    String.raw`\b(?:overrides?|supersedes?|replaces?|takes?\s+precedence\s+over|cancels?)` +
      String.raw`\s+(?:all\s+)?(?:the\s+)?(?:prior|previous|earlier|above|other|your|existing` +
      String.raw`|original)\s+(?:messages|instructions|rules|prompts?|directives|guidance|context)\b`,
    String.raw`\b(?:consider|treat|regard)\s+(?:all\s+)?(?:the\s+)?(?:earlier|previous` +
      String.raw`|prior|above|your|existing|original)\s+(?:\w+\s+)?(?:guidance|instructions` +
      String.raw`|rules|guidelines|directives|messages|prompt)\s+(?:as\s+)?(?:cancell?ed` +
      String.raw`|void|null|revoked|obsolete|deleted|gone|irrelevant)\b`,
    String.raw`\b(?:take|accept)\s+(?:orders|instructions|commands)\s+only\s+from\s+me\b|\bonly\s+(?:obey|listen\s+to|follow)\s+me\b`
  ].join('|'), 'g') },
  { id: 'override_instructions', weight: 3, re: new RegExp([
    String.raw`\b(?:if|suppose|imagine|assume)\s+you\s+(?:were|are|could\s+be|was)\s+(?:allowed` +
      String.raw`|permitted|able|free)\s+to\s+(?:ignore|break|bypass|disregard|skip|forget)\b`,
    String.raw`\bwhat\s+you(?:'re|\s+are)\s+not\s+(?:allowed|permitted|supposed)\s+to\s+(?:say|tell|share|reveal|discuss|disclose)\b`,
    String.raw`\b(?:must\s+not|mustn't|shouldn't|should\s+not|don't|do\s+not|never)\s+(?:use` +
      String.raw`|cite|rely\s+on|look\s+at|consider)\s+(?:the\s+|any\s+)?(?:retrieved|provided` +
      String.raw`|given|supplied|above)\s+(?:passages|sources|documents|context|excerpts)\b`,
    String.raw`\b(?:i\s+am|i'm)\s+the\s+(?:system\s+)?(?:owner|admin|administrator|developer|operator|creator)\b`
  ].join('|'), 'g') },
  { id: 'role_change', weight: 3, re: new RegExp(
    String.raw`\b(?:forget|ignore|disregard|stop)\s+(?:about\s+)?(?:being|that\s+you(?:'re` +
    String.raw`|\s+are))\s+(?:an?\s+|the\s+)?(?:\w+\s+)?(?:assistant|bot|ai|chatbot|model)\b`,
    'g'
  ) },
  { id: 'prompt_extraction', weight: 3, contextual: true, re: new RegExp(
    String.raw`\b(?:print|dump|show|reveal|output|display)\s+(?:the\s+|your\s+|full\s+` +
    String.raw`|system\s+)*(?:configuration|config|settings|system\s+prompt)\b`,
    'g'
  ) },
  { id: 'policy_amnesia', weight: 2, re: new RegExp(
    String.raw`\b(?:never|not)\s+(?:been\s+)?given\s+any\s+(?:polic(?:y|ies)|rules|instructions` +
    String.raw`|guidelines)\b`,
    'g'
  ) },
  { id: 'jailbreak', weight: 2, re: new RegExp(
    String.raw`\b(?:grandma|grandmother|granny)\b[^.?!\n]{0,80}\b(?:used\s+to|would)\s+(?:tell` +
    String.raw`|read|sing|recite)\b`,
    'g'
  ) },

  { id: 'prompt_extraction', weight: 3, re: new RegExp(
    String.raw`\b${REVEAL_VERB}\b[^.?!\n]{0,40}?\b${PROMPT_OBJECT}\b${NOT_VERB_PROMPT}`, 'g') },
  { id: 'prompt_extraction', weight: 3, re: new RegExp(
    String.raw`\b(?:what|which)\s+(?:instructions|rules|directives|prompt|guidelines)\s+(?:were` +
    String.raw`|have|did|was|are)\s+you\s+(?:been\s+)?(?:given|told|receive|received|programmed` +
    String.raw`|trained|configured|following|using)\b`,
    'g'
  ) },
  { id: 'prompt_extraction', weight: 3, re: new RegExp(
    String.raw`\b(?:repeat|print|output|copy|echo|recite|reproduce|show|write\s+out)\s+(?:me\s+)?(?:back\s+)?(?:everything` +
    String.raw`|all|the\s+(?:text|words|content|message|messages|lines|paragraph|conversation)` +
    String.raw`|what(?:'s| is| was)\s+written|each\s+word|word\s+for\s+word|verbatim)\s*(?:\w+\s+){0,2}(?:above` +
    String.raw`|before|preceding|prior|that\s+came\s+before|so\s+far|from\s+the\s+(?:start` +
    String.raw`|beginning|top)|you\s+(?:were|have\s+been)\s+(?:given|told))`,
    'g'
  ) },
  { id: 'prompt_extraction', weight: 3, re: new RegExp([
    String.raw`\b(?:prompt|instructions|rules?|text|message|messages|everything|all|what` +
      String.raw`|words)\s+(?:that\s+)?you\s+(?:were|have\s+been|got|had\s+been|'ve\s+been)` +
      String.raw`\s+(?:given|told|fed|provided|programmed|instructed|trained\s+on)\b`,
    String.raw`\b(?:text|content|message|words|instructions|prompt)\s+(?:that\s+)?(?:precedes?` +
      String.raw`|preceding|came\s+before|comes\s+before|before)\s+(?:my|this|the\s+user'?s?)` +
      String.raw`\s+(?:message|question|input|prompt|request)\b`
  ].join('|'), 'g') },
  { id: 'prompt_extraction', weight: 3, re: new RegExp(
    String.raw`\b(?:guidelines|rules|instructions|directives|constraints|policies)\s+(?:that\s+)?you\s+(?:must` +
    String.raw`|have\s+to|need\s+to|are\s+supposed\s+to|were\s+told\s+to|are\s+told\s+to` +
    String.raw`|should)\s+(?:follow|obey|stick\s+to|adhere\s+to)\b`,
    'g'
  ) },
  { id: 'prompt_extraction', weight: 3, re: new RegExp(
    String.raw`\b(?:text|words|content|instructions|everything|what)\b[^.?!\n]{0,30}\b(?:before` +
    String.raw`|above|preceding|at\s+the\s+(?:top|start|beginning)\s+of)\s+(?:my\s+(?:question` +
    String.raw`|message|input|request)|your\s+(?:context|prompt|instructions)|(?:the|this)` +
    String.raw`\s+(?:conversation|chat))\b`,
    'g'
  ) },
  { id: 'prompt_extraction', weight: 3, re: new RegExp([
    String.raw`\b(?:how|what)\s+(?:were\s+you|you\s+were|have\s+you\s+been|you've\s+been)` +
      String.raw`\s+(?:instructed|configured|programmed|told|trained|prompted|set\s+up)\b`,
    String.raw`\b(?:wording|text|words|prompt|instructions)\s+(?:that\s+)?you\s+(?:were` +
      String.raw`|have\s+been|got)\s+(?:configured|programmed|set\s+up|initiali[sz]ed|primed|seeded)\b`
  ].join('|'), 'g') },
  { id: 'prompt_extraction', weight: 3, re: new RegExp(
    String.raw`\b(?:what|how)\s+(?:are|were)\s+you\s+(?:programmed|instructed|configured` +
    String.raw`|prompted|told)\s+(?:to|not\s+to)\b`,
    'g'
  ) },
  { id: 'prompt_extraction', weight: 2, re: /\b(?:your|the)\s+(?:system\s+)?prompt\s+(?:says?|starts|begins|contains|reads|tells)\b/g },
  { id: 'prompt_extraction', weight: 1, re: new RegExp(
    String.raw`\bsystem\s+prompt\b(?!\s*(?:me|you|us|them|him|her|users?|employees?|for` +
    String.raw`|to|when|if|before|after)\b)`,
    'g'
  ) },
  { id: 'output_manipulation', weight: 3, re: new RegExp(
    String.raw`\b(?:say|print|output|respond\s+with|reply\s+with|answer\s+with|write|type` +
    String.raw`|end\s+with)\s+(?:only\s+)?(?:the\s+(?:words?|phrase|sentence|text)\s+)?["']?(?:i\s+have\s+been` +
    String.raw`|i've\s+been)\s+(?:pwned|hacked|owned|jailbroken)`,
    'g'
  ) },
  { id: 'output_manipulation', weight: 2, re: /\bpwn(?:ed|3d)\b/g },
  { id: 'output_manipulation', weight: 3, re: /!\[[^\]]*\]\(\s*https?:\/\/[^)]*(?:\?|=|\{|\))/g },
  { id: 'fake_turn', weight: 3, re: new RegExp(
    String.raw`(?:^|\n|[.!?"]\s+)\s*(?:#{1,3}\s*|\[|<|\*\*|-{2,}\s*)?(?:system|assistant` +
    String.raw`|developer|ai|chatbot|gpt|chatgpt|claude|llm|sys)\s*(?:message|prompt|note` +
    String.raw`|override)?\s*(?:\]|>|\*\*|-{2,})?\s*:`,
    'g'
  ) },
  { id: 'fake_turn', weight: 3, re: new RegExp(
    String.raw`(?:^|\n)\s*(?:-{2,}|#{1,3}|\*\*|\[|<|=+)?\s*(?:system|assistant|developer)` +
    String.raw`(?:\s+(?:message|prompt|note|instructions?))?\s*(?:-{2,}|\*\*|\]|>|=+)?\s*(?:\n|$)`,
    'g'
  ) },
  { id: 'fake_turn', weight: 2, re: new RegExp(
    String.raw`(?:^|\n|[.!?"]\s+)\s*(?:#{1,3}\s*|\[|<|\*\*|-{2,}\s*)?(?:new\s+)?instructions?\s*(?:\]` +
    String.raw`|>|\*\*|-{2,})?\s*:`,
    'g'
  ) },
  { id: 'fake_turn', weight: 1, re: /(?:^|\n)\s*(?:user|human|me|q)\s*:/g },
  { id: 'special_token', weight: 3, re: new RegExp([
    String.raw`<\|?\s*(?:im_start|im_end|system|assistant|user|endoftext|eot_id|start_header_id` +
      String.raw`|end_header_id|begin_of_text|end_of_turn|start_of_turn)\s*\|?>`,
    String.raw`\[\/?inst\]|\[\s*(?:system|assistant|developer|sys|admin)\s*\]|<<\/?sys>>`,
    String.raw`<\/?(?:system|assistant|instructions?|sys|prompt|developer)>|\{\{\s*(?:system|prompt)`
  ].join('|'), 'g') },
  { id: 'fake_turn', weight: 3, re: new RegExp([
    String.raw`\b(?:end|begin|start)\s+of\s+(?:the\s+)?(?:system\s+|user\s+|original\s+)?(?:prompt` +
      String.raw`|instructions|context|conversation|input)\b`,
    String.raw`\b(?:system|developer)\s+(?:note|notice|update|alert|override)\s*:`
  ].join('|'), 'g') },
  { id: 'encoding_request', weight: 3, re: new RegExp(
    String.raw`\b(?:decode|decipher|decrypt|translate|convert|interpret|unscramble|reverse)` +
    String.raw`\b[^.?!\n]{0,60}\b(?:and|then)\s+(?:follow|execute|do|obey|run|act\s+on` +
    String.raw`|comply|perform|carry\s+out|answer)\b`,
    'g'
  ) },
  { id: 'encoding_request', weight: 1, re: new RegExp(
    String.raw`\b(?:base-?64|hex(?:adecimal)?(?:\s+encoded)?|rot-?13|morse\s+code|caesar\s+cipher` +
    String.raw`|binary\s+code|url-?encoded)\b`,
    'g'
  ) }
]

// Rules over letters-only text, for "i g n o r e" or "1gn0r3" spellings whose word boundaries are lost.
const COMPACT_RULES: RegExp[] = [
  new RegExp(
    String.raw`(?:ignore|disregard|forget|override|bypass)(?:all|any|the|your|my|of|previous` +
    String.raw`|prior|above|earlier|preceding|system|initial|original)*(?:instructions?` +
    String.raw`|prompts?|rules|directives|guidelines|restrictions|programming)`
  ),
  new RegExp(
    String.raw`(?:print|show|reveal|repeat|tell|give|output|leak|dump)(?:me)?(?:your|the)` +
    String.raw`(?:system|initial|original|hidden|secret)?(?:prompt|instructions)`
  ),
  /systemprompt/, /youarenow/, /developermode/, /jailbreak/, /doanythingnow/, /pretendyou/,
  /youhaveno(?:rules|restrictions|filters|limits)/,
  /(?:no|without)(?:rules|restrictions|filters|censorship|guardrails)/, /ihavebeenpwned/
]

// U+034F (combining grapheme joiner) is listed on its own as an invisible character, not to combine with its neighbour.
// oxlint-disable-next-line no-misleading-character-class
const ZERO_WIDTH = /[\u200B-\u200F\u2060-\u2064\uFEFF\u00AD\u180E\u034F\u061C\u115F\u1160\u3164\uFFA0\u202A-\u202E\u2066-\u2069]/g
// Soft hyphens come with pasted documents and ZWNJ belongs in Persian words, so only Latin words count.
// oxlint-disable-next-line no-misleading-character-class
const ZERO_WIDTH_IN_WORD = /[A-Za-z0-9][\u200B\u200D-\u200F\u2060-\u2064\uFEFF\u180E\u034F\u061C\u2066-\u2069\u200C]+[A-Za-z0-9]/
const TAG_CHARS = /[\u{E0000}-\u{E007F}]/gu

const CONFUSABLES: Record<string, string> = {
  а: 'a', в: 'b', е: 'e', ё: 'e', к: 'k', м: 'm', н: 'h', о: 'o', р: 'p', с: 'c', т: 't', у: 'y', х: 'x',
  ѕ: 's', і: 'i', ї: 'i', ј: 'j', ԁ: 'd', ɡ: 'g', ո: 'n', ս: 'u',
  α: 'a', β: 'b', ε: 'e', η: 'n', ι: 'i', κ: 'k', ν: 'v', ο: 'o', ρ: 'p', τ: 't', υ: 'u', χ: 'x', ω: 'w'
}
const CONFUSABLE_RE = new RegExp(`[${Object.keys(CONFUSABLES).join('')}]`, 'g')
const MIXED_SCRIPT_WORD = /(?=[\p{L}]*\p{Script=Latin})(?=[\p{L}]*[\p{Script=Cyrillic}\p{Script=Greek}])[\p{L}]{2,}/u

const LEET: Record<string, string> = {
  0: 'o', 1: 'i', 3: 'e', 4: 'a', 5: 's', 6: 'g', 7: 't', 8: 'b', 9: 'g', '@': 'a', $: 's', '!': 'i', '|': 'i', '+': 't', '€': 'e'
}

export interface NormalisedText {
  /** NFKC, invisible characters removed, look-alike letters mapped to Latin, lower-cased, quotes straightened. */
  text: string
  /** NFKC and invisible characters removed, case kept (for base64). */
  visible: string
  zeroWidthInWords: boolean
  mixedScript: boolean
  /** ASCII smuggled in Unicode tag characters, if any. */
  tagPayload?: string
}

/** Removes invisible characters that carry no meaning in a question (zero-width, bidi controls, tag characters). */
export function stripInvisible (text: string): string {
  return text.replace(TAG_CHARS, '').replace(ZERO_WIDTH, '')
}

export function normaliseForDetection (input: string): NormalisedText {
  const tags = [...input.matchAll(TAG_CHARS)].map((m) => String.fromCharCode((m[0].codePointAt(0) ?? 0) - 0xE0000)).join('')
  const nfkc = input.replace(TAG_CHARS, '').normalize('NFKC')
  const zeroWidthInWords = ZERO_WIDTH_IN_WORD.test(nfkc)
  const visible = nfkc.replace(ZERO_WIDTH, '')
  const text = visible
    .replace(/[\u2018\u2019\u201A\u201B\u2032\u00B4`]/g, "'")
    .replace(/[\u201C\u201D\u201E\u201F\u2033\u00AB\u00BB]/g, '"')
    .toLowerCase()
    .replace(CONFUSABLE_RE, (ch) => CONFUSABLES[ch] ?? ch)
    .replace(/[^\S\n]+/g, ' ')
  const result: NormalisedText = { text, visible, zeroWidthInWords, mixedScript: MIXED_SCRIPT_WORD.test(visible.toLowerCase()) }
  if (/[a-z]{2}/i.test(tags)) result.tagPayload = tags
  return result
}

function foldLeet (text: string, one: 'i' | 'l'): string {
  return text.replace(/[0-9@$!|+€]/g, (ch) => (ch === '1' ? one : LEET[ch] ?? ch))
}

const SELF_SUBJECT = new RegExp(
  String.raw`\b(?:i|we|me|us|employees?|staff|managers?|contractors?|interns?|my\s+team` +
  String.raw`|someone|anyone|people|colleagues?|coworkers?)\b`
)
const QUESTION_WORD = new RegExp(
  String.raw`\b(?:can|could|may|should|must|shall|do|does|did|am|are|is|will|would|allowed` +
  String.raw`|permitted|ok|okay|fine|need|have|how|when|whether|if|what|why)\b`
)
const PERMISSION_ASK = new RegExp(
  String.raw`\b(?:is\s+it|would\s+it\s+be)\s+(?:ok|okay|fine|alright|acceptable|allowed` +
  String.raw`|permitted|possible|legal|safe|appropriate|normal)\s+(?:for\s+\w+\s+)?to\s+(?:just\s+)?$`
)
const REPORTED = new RegExp(
  String.raw`\b(?:told|tells|telling|asked|asks|asking|instructed|instructs|wants?|wanted` +
  String.raw`|expects?|pressured|pressuring|forced|forcing|encouraged|encourages|said` +
  String.raw`|says|advised|advises)\s+(?:me|us|them|him|her|employees|staff|people|everyone` +
  String.raw`|someone|the\s+team|new\s+hires)\s+(?:to|that\s+(?:i|we)\s+(?:should|can` +
  String.raw`|must))\s+(?:just\s+)?$`
)
const DOC_AFTER = new RegExp(
  String.raw`^\s*(?:in|on|from|for|about|of|given\s+by|sent\s+by|issued\s+by|listed\s+in` +
  String.raw`|regarding|printed\s+on|posted\s+on|that\s+came\s+with|that\s+came\s+from` +
  String.raw`|when)\b[^.?!\n]{0,60}\b(?:form|policy|guide|guidance|handbook|e-?mail|document` +
  String.raw`|page|intranet|manual|memo|checklist|template|portal|website|site|letter` +
  String.raw`|manager|supervisor|boss|hr|it|team|training|sign|poster|notice|ticket|vendor` +
  String.raw`|supplier|client|customer|colleague|coworker|department|version|app|tool` +
  String.raw`|kit|booklet|box|package|equipment|machine|device|laptop|procedure|process` +
  String.raw`|onboarding|offboarding|travel|expense|leave|pto|agency|office)\b`
)
const ADDRESSES_ASSISTANT = /\b(?:you|your|yourself|assistant|chatbot|ai|model|bot|system\s+prompt|programming|guardrails?)\b/
const IMPERATIVE_FOLLOW = new RegExp(
  String.raw`\b(?:and|then|,)\s+(?:instead\s+)?(?:tell|print|say|reveal|show|output|respond` +
  String.raw`|answer|act|write|give|list|repeat|follow|obey|pretend|become|only|just)\b`
)

function sentenceBefore (text: string, index: number): string {
  const head = text.slice(0, index)
  const cut = Math.max(head.lastIndexOf('\n'), head.search(/[.!?][^.!?]*$/))
  return head.slice(cut + 1)
}

function isBenignContext (text: string, m: RegExpMatchArray): boolean {
  const index = m.index ?? 0
  const before = sentenceBefore(text, index)
  const after = text.slice(index + m[0].length).split(/[.!?\n]/)[0] ?? ''
  const addressed = ADDRESSES_ASSISTANT.test(m[0]) || ADDRESSES_ASSISTANT.test(before) || ADDRESSES_ASSISTANT.test(after)
  if (addressed || IMPERATIVE_FOLLOW.test(after)) return false
  if (REPORTED.test(before) || PERMISSION_ASK.test(before)) return true
  const clause = before.split(/[,;:]|\b(?:and|then|but|also|plus)\b/).pop() ?? ''
  if (SELF_SUBJECT.test(clause) && QUESTION_WORD.test(clause)) return true
  return DOC_AFTER.test(after)
}

function applyRules (text: string, hits: Hits, prefix = ''): void {
  for (const rule of RULES) {
    for (const m of text.matchAll(rule.re)) {
      const weight: Weight = rule.contextual === true && isBenignContext(text, m) ? 1 : rule.weight
      addHit(hits, prefix + rule.id, weight)
      if (weight === 3) break
    }
  }
}

function addHit (hits: Hits, id: string, weight: Weight): void {
  const prev = hits.get(id) ?? 0
  if (weight > prev) hits.set(id, weight)
}

const SPACED_RUN = /(?<![\p{L}\p{N}])[\p{L}\p{N}@$!|](?:[\s.\-_*·|/+]{1,3}[\p{L}\p{N}@$!|](?![\p{L}\p{N}])){4,}/gu

function compactHits (text: string, hits: Hits): void {
  const runs = [...text.matchAll(SPACED_RUN)].map((m) => m[0])
  if (runs.length > 0) addHit(hits, 'spaced_letters', 1)
  const joined = runs.map((r) => r.replace(/[^\p{L}\p{N}@$!|]/gu, '')).join('')
  const candidates = [joined, foldLeet(joined, 'i'), foldLeet(joined, 'l')]
  if (candidates.some((c) => COMPACT_RULES.some((re) => re.test(c.replace(/[^a-z]/g, ''))))) {
    addHit(hits, 'obfuscated_instruction', 3)
  }
}

const BASE64_BLOB = new RegExp([
  String.raw`(?<![A-Za-z0-9+/=_-])(?:[A-Za-z0-9+/]{4}){4,}(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?(?![A-Za-z0-9+/=])`,
  String.raw`(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{24,}(?![A-Za-z0-9_-])`
].join('|'), 'g')
const HEX_BLOB = /(?<![0-9a-f])(?:0x)?(?:[0-9a-f]{2}[\s:,]?){8,}(?![0-9a-f])/gi
const ESCAPED_BLOB = /(?:\\x[0-9a-f]{2}){4,}|(?:%[0-9a-f]{2}){4,}|(?:\\u00[0-9a-f]{2}){4,}|(?:&#x?[0-9a-f]{2,3};){4,}/gi
const BINARY_BLOB = /(?:[01]{8}\s?){4,}/g
const MAX_BLOBS = 8

/** Readable text hidden in encodings inside the question (base64, hex, escapes, binary, rot13, reversed, tag characters). */
export function decodePayloads (normalised: NormalisedText): string[] {
  const out: string[] = []
  const push = (decoded: string | undefined): void => {
    if (decoded !== undefined && looksLikeText(decoded) && out.length < MAX_BLOBS) out.push(decoded)
  }
  for (const m of normalised.visible.matchAll(BASE64_BLOB)) {
    if (/[0-9+/=]|[a-z].*[A-Z]|[A-Z].*[a-z]/.test(m[0])) {
      push(Buffer.from(m[0].replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8'))
    }
  }
  for (const m of normalised.visible.matchAll(HEX_BLOB)) push(Buffer.from(m[0].replace(/^0x|[^0-9a-f]/gi, ''), 'hex').toString('utf8'))
  for (const m of normalised.visible.matchAll(ESCAPED_BLOB)) push(decodeEscapes(m[0]))
  for (const m of normalised.visible.matchAll(BINARY_BLOB)) {
    const bytes = m[0].replace(/\s/g, '').match(/.{8}/g) ?? []
    push(String.fromCharCode(...bytes.map((b) => parseInt(b, 2))))
  }
  if (/\brot-?13\b/.test(normalised.text)) push(rot13(normalised.text))
  push(normalised.tagPayload)
  return out
}

function decodeEscapes (blob: string): string {
  const codes = [...blob.matchAll(/(?:\\x|%|\\u00|&#x)([0-9a-f]{2})|&#(\d{2,3});/gi)]
    .map((m) => (m[1] !== undefined ? parseInt(m[1], 16) : Number(m[2])))
  return String.fromCharCode(...codes)
}

function rot13 (text: string): string {
  return text.replace(/[a-z]/g, (c) => String.fromCharCode(((c.charCodeAt(0) - 97 + 13) % 26) + 97))
}

function looksLikeText (s: string): boolean {
  if (s.length < 6) return false
  const printable = [...s].filter((c) => /[\x20-\x7E\n\t]/.test(c)).length
  return printable / s.length >= 0.9 && /[a-z]{2,}[\s_.-]+[a-z]{2,}/i.test(s)
}

const ADDRESS = /\b(?:you|your|yours|yourself|ur|u)\b/
const ASSISTANT_NOUN = new RegExp([
  String.raw`\bprompts?\b(?!\s*(?:me|you|us|them|him|her|users?|employees?)\b)|\bpre-?amble\b`,
  String.raw`\byour\s+(?:configuration|config|programming|guardrails?|filters?|memory|persona|personality|setup|training|system)\b`,
  String.raw`\bconfigur(?:es|ed)\s+you\b|\bset\s+you\s+up\b|\bsystem\s+(?:part|message|messages|instructions)\b|\bcontext\s+window\b`,
  String.raw`\btraining\s+data\b`,
  String.raw`\byour\s+(?:hidden|secret|real|true|actual|full|complete|original|exact` +
    String.raw`|initial|internal|confidential|underlying)\s+(?:instructions|rules|guidelines` +
    String.raw`|prompt|orders|directives|text|setup)\b`
].join('|'))
const CONTROL_VERB = new RegExp(
  String.raw`\b(?:ignore|forget|skip|override|bypass|disregard|reveal|recite|share|show` +
  String.raw`|dump|print|rewrite|output|disclose|repeat|paste|list|tell|give|write|translate` +
  String.raw`|summari[sz]e|explain|respond|reply|answer|spell|leak|display|copy|quote|read)\b`
)

// Addressing the assistant about its own set-up is what most injections have in common, whatever their wording.
function assistantMetaHits (text: string, hits: Hits): void {
  if (!ADDRESS.test(text) || !ASSISTANT_NOUN.test(text)) return
  addHit(hits, 'assistant_setup', CONTROL_VERB.test(text) ? 3 : 2)
}

function collectHits (input: string, depth: number): Hits {
  const hits: Hits = new Map()
  const normalised = normaliseForDetection(input)
  const { text } = normalised
  applyRules(text, hits)
  if (/\bDAN\b/.test(normalised.visible)) addHit(hits, 'jailbreak', 3)
  const folded = foldLeet(text, 'i')
  if (folded !== text) {
    const leet: Hits = new Map()
    applyRules(folded, leet)
    applyRules(foldLeet(text, 'l'), leet)
    for (const [id, w] of leet) if (w >= 2 && !hits.has(id)) addHit(hits, 'leetspeak_instruction', w)
  }
  compactHits(text, hits)
  assistantMetaHits(text, hits)
  if (normalised.zeroWidthInWords) addHit(hits, 'zero_width', 2)
  if (normalised.mixedScript) addHit(hits, 'mixed_script', 1)
  if (normalised.tagPayload !== undefined) addHit(hits, 'invisible_tags', 3)
  const reversed: Hits = new Map()
  applyRules([...text].reverse().join(''), reversed)
  if ([...reversed.values()].some((w) => w === 3)) addHit(hits, 'reversed_instruction', 3)
  if (depth < 2) {
    for (const payload of decodePayloads(normalised)) {
      addHit(hits, 'encoded_payload', 1)
      const inner = collectHits(payload, depth + 1)
      if ([...inner.values()].some((w) => w >= 2)) addHit(hits, 'encoded_instruction', 3)
    }
  }
  return hits
}

function isInjection (hits: Hits, level: GuardrailsLevel): boolean {
  const weights = [...hits.values()]
  const score = weights.reduce((a, b) => a + b, 0)
  const strongest = Math.max(0, ...weights)
  return level === 'strict' ? score >= 2 : score >= 3 && strongest >= 2
}

// Reasons a sentence can be cut out for; anything hidden or structural means the whole question is refused.
const STRIPPABLE = new Set([
  'persona_generic', 'assistant_setup', 'secret_probe', 'persona_hint', 'void_claim', 'assistant_meta', 'policy_amnesia',
  'override_instructions', 'override_soft', 'output_control', 'role_change', 'no_rules', 'jailbreak', 'prompt_extraction',
  'output_manipulation'
])
// A remainder that leans on the cut sentence ("what would it say then?") still carries the injected premise.
const ANAPHORA = new RegExp(
  String.raw`\b(?:then|in\s+that\s+case|that\s+way|if\s+so|in\s+that\s+role|in\s+character` +
  String.raw`|like\s+that|as\s+(?:such|that|them|him|her))\b`,
  'i'
)

function splitSentences (text: string): string[] {
  return text.split(/(?<=[.!?])\s+|\n+/).map((s) => s.trim()).filter((s) => s.length > 0)
}

function looksLikePolicyQuestion (text: string): boolean {
  const words = text.split(/\s+/).filter((w) => /\p{L}/u.test(w))
  return words.length >= 3 && mentionsWorkplace(text) &&
    (/\?\s*$/.test(text) ||
      /^(?:what|how|when|where|who|which|why|can|could|may|do|does|did|is|are|am|will|should|must|tell me|explain)\b/i.test(text))
}

function tryStrip (text: string, hits: Hits): string | undefined {
  if ([...hits.keys()].some((id) => !STRIPPABLE.has(id))) return undefined
  const kept = splitSentences(text).filter((sentence) => collectHits(sentence, 0).size === 0)
  const remainder = kept.join(' ')
  if (remainder.length === 0 || remainder.length === text.trim().length) return undefined
  if (collectHits(remainder, 0).size > 0 || ANAPHORA.test(remainder) || !looksLikePolicyQuestion(remainder)) return undefined
  return remainder
}

export function detectInjection (text: string, level: GuardrailsLevel): InjectionResult {
  if (level === 'off') return { injection: false, score: 0, reasons: [] }
  const hits = collectHits(text, 0)
  const score = [...hits.values()].reduce((a, b) => a + b, 0)
  const result: InjectionResult = { injection: isInjection(hits, level), score, reasons: [...hits.keys()].sort() }
  if (result.injection && level === 'standard') {
    const cleaned = tryStrip(text, hits)
    if (cleaned !== undefined) result.cleaned = cleaned
  }
  return result
}

const ASSISTANT_COMPLIANCE = new RegExp([
  String.raw`\b(?:developer|dan|jailbreak|jailbroken|god|unrestricted|debug)\s+mode\s+(?:is\s+)?(?:enabled|activated|on|engaged)\b`,
  String.raw`\bi\s+(?:will|can|shall)\s+(?:now\s+)?(?:ignore|disregard|bypass|forget)\s+(?:my|all|the|any)\b`,
  String.raw`\bi\s+(?:have|now\s+have)\s+no\s+(?:rules|restrictions|guidelines|filters|limits)\b`,
  String.raw`\bas\s+(?:dan|an\s+unrestricted|an\s+unfiltered|a\s+jailbroken)\b`,
  String.raw`\b(?:my|the)\s+(?:system\s+prompt|instructions)\s+(?:is|are|says?|reads?)\s*:`,
  String.raw`\bhere\s+(?:is|are)\s+my\s+(?:system\s+prompt|instructions|rules)\b`,
  String.raw`\bsure,?\s+i(?:'ll|\s+will)\s+(?:ignore|pretend|act\s+as|reveal)\b`
].join('|'))

/** Fake system or assistant turns, and injections, planted in the conversation history a client sends back. */
export function detectHistoryInjection (history: readonly UntrustedTurn[], level: GuardrailsLevel = 'standard'): HistoryInjectionResult {
  if (level === 'off') return { injection: false, reasons: [], turns: [] }
  const reasons = new Set<string>()
  const turns: number[] = []
  history.forEach((turn, i) => {
    const found: string[] = []
    if (turn.role !== 'user' && turn.role !== 'assistant') found.push('history_role')
    if (turn.role === 'assistant' && ASSISTANT_COMPLIANCE.test(normaliseForDetection(turn.content).text)) {
      found.push('history_fake_assistant')
    }
    const inner = detectInjection(turn.content, level)
    if (inner.injection) found.push(...inner.reasons.map((r) => `history_${r}`))
    if (found.length > 0) {
      turns.push(i)
      for (const r of found) reasons.add(r)
    }
  })
  return { injection: turns.length > 0, reasons: [...reasons].sort(), turns }
}

"""The rules, as precompiled regular expressions. Each rule has an id (``<family>.<name>``).

Each rule carries keywords (lower case), one of which must occur in the text for the rule to be
tried at all, so most rules cost a substring test. Turn texts are joined with ``SEP``
(``\\x00``), which no pattern crosses.
"""

from __future__ import annotations

import re

import ahocorasick

SEP = "\x00"
C = r"[^.?!\n\x00]"  # a character inside one clause of one turn
_DAYS = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_NUM = r"(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|fourteen|a few|a couple of|several)"


Rule = tuple[str, "re.Pattern[str]", tuple[str, ...]]


class RuleFamily:
    """Rules compiled once, with one Aho-Corasick automaton over all their keywords, so a text is
    read once to know which rules could match (instead of one substring test per keyword)."""

    def __init__(self, rules: tuple[Rule, ...]) -> None:
        self.rules = rules
        self._automaton = ahocorasick.Automaton()
        owners: dict[str, list[int]] = {}
        for index, (_, _, words) in enumerate(rules):
            for word in words:
                owners.setdefault(word, []).append(index)
        for word, indexes in owners.items():
            self._automaton.add_word(word, tuple(indexes))
        self._automaton.make_automaton()

    def candidates(self, low: str) -> list[int]:
        """Indexes of the rules one of whose keywords occurs in ``low``, in rule order."""
        found: set[int] = set()
        for _, indexes in self._automaton.iter(low):
            found.update(indexes)
        return sorted(found)


def _family(rules: dict[str, str], keywords: dict[str, tuple[str, ...]]) -> RuleFamily:
    """Compile each rule, with the lower-case keywords one of which must occur for it to match."""
    return RuleFamily(tuple((rid, re.compile(pat, re.I), keywords[rid]) for rid, pat in rules.items()))


def scan(family: RuleFamily, text: str, low: str, *, first: bool = False) -> list[tuple[str, re.Match[str]]]:
    """Matches of a family's rules in ``text`` (``low`` is its lower-case copy), in text order.

    A rule runs only when one of its keywords occurs in ``low``; ``first`` keeps one match per rule.
    """
    found: list[tuple[str, re.Match[str]]] = []
    for index in family.candidates(low):
        rid, rx, _ = family.rules[index]
        if first:
            m = rx.search(text)
            if m:
                found.append((rid, m))
        else:
            found.extend((rid, m) for m in rx.finditer(text))
    found.sort(key=lambda f: f[1].start())
    return found


# -- trigger: what set the contact off (customer turns) ----------------------------------------------

TRIGGER_RULES: dict[str, str] = {
    "prev.nth_time": r"\b(?:this is|it's|that's) (?:the|my) (?:second|third|fourth|fifth|\d+(?:nd|rd|th)) time\b",
    "prev.times": r"\bI(?:'ve| have) (?:called|rung|phoned|been in touch|contacted you|chatted to you|emailed)"
    r"(?: you)? (?:two|three|four|five|several|multiple|many|\d+) times\b",
    "prev.called_before": r"\bI (?:called|rang|phoned|spoke to (?:someone|somebody|you|one of your \w+)"
    r"|was on the phone|was in touch|chatted to (?:someone|you)|emailed(?: you)?)\b"
    + C
    + r"{0,40}?\b(?:last (?:week|month)|yesterday|the other day|a few days ago|(?:on|last) "
    + _DAYS
    + r"|earlier|this morning|already|before)\b",
    "prev.again": r"\b(?:I'm|I am) (?:calling|ringing|writing|getting in touch|contacting you|messaging) "
    r"(?:again|back)\b",
    "prev.told": r"\bI was (?:told|promised|assured)\b(?=" + C + r"{0,50}\b(?:would|'d|will)\b)",
    "comm.received": r"\b(?:I|we)(?:'ve| have)? (?:just )?(?:got|received|had|been sent) (?:a|an|your|the|this|my|some)"
    r"(?: [\w-]+){0,2}? (?:letter|e-?mail|text(?: message)?|message|notification|bill|statement|invoice"
    r"|voicemail|notice|alert)s?\b",
    "comm.arrived": r"\bmy (?:new |latest |last |first |monthly )?(?:bill|statement|letter|invoice)s? "
    r"(?:came|arrived|has (?:just )?(?:come|arrived)|just came|came through)\b",
    "comm.saw_offer": r"\bI saw (?:the|your|an|a) " + C + r"{0,50}?\b(?:advert|offer|ad|promotion)\b",
    "comm.saying": r"\b(?:sent me|you sent|there's) (?:a|an|the) (?:letter|e-?mail|text|message) "
    r"(?:saying|telling me|asking)\b",
    "change.price_up": r"\b(?:you(?:'ve| have)?|they(?:'ve| have)?) (?:put|pushed|bumped|jacked) (?:my|the|our)"
    r"(?: \w+)? (?:price|bill|tariff|rate|payment|direct debit)s? up\b",
    "change.went_up": r"\b(?:price|bill|tariff|payment|direct debit|premium|rate|charges?)s?(?: has| have| is)? "
    r"(?:gone up|went up|increased|jumped|doubled|risen|was higher|is higher)\b",
    "change.higher_than": r"\b(?:bill|price|payment)s? (?:is |was )?" + C + r"{0,12}?\bhigher than "
    r"(?:usual|normal|before|I expected|expected|last month)\b",
    "change.price_rise": r"\b(?:price (?:rise|increase|hike)|new (?:charges?|fees?|pricing|tariff)"
    r"|extra (?:charges?|fees?))\b",
    "change.update": r"\b(?:since|after) (?:the|your|an|this|that) (?:latest |last |recent |new )?(?:app )?"
    r"(?:update|upgrade|changes?)\b|\b(?:latest update|new version of (?:the|your) app)\b",
    "change.policy": r"\b(?:new|changed|changes to (?:the|your)) (?:terms|policy|policies|rules|conditions)\b"
    r"|\byou(?:'ve| have) changed (?:the|my|your)\b",
    "life.moving": r"\b(?:I|we)(?:'ve| have|'m| am|'re| are)? (?:just |recently )?(?:moved|moving)"
    r"(?: house| home| abroad| out)?\b|\bmy old address\b",
    "life.bereavement": r"\b(?:passed away|has died|bereavement|funeral|death in the family|executor|probate)\b",
    "life.travel": r"\b(?:I'm|I am|we're|we are) (?:away |currently |on holiday |travelling )?"
    r"(?:in (?-i:[A-Z])\w+|in the States|abroad|overseas|on holiday)\b|\b(?:my|our) (?:holiday|trip) (?:to|in)\b"
    r"|\btravelling (?:next week|at the moment|abroad)\b",
    "life.lost_card": r"\b(?:lost|misplaced|can't find) my (?:[\w-]+ )?(?:card|wallet|purse|phone|bag)\b"
    r"|\b(?:wallet|purse|bag|phone|card)(?: was| got| has been|'s been)? (?:stolen|nicked)\b"
    r"|\bleft my (?:[\w-]+ )?card\b|\bit's (?:gone missing|been stolen)\b",
    "life.family": r"\bI (?:got|am getting|'m getting) (?:married|divorced)\b"
    r"|\b(?:had a baby|new baby|lost my job|made redundant)\b",
}
TRIGGER_KEYWORDS: dict[str, tuple[str, ...]] = {
    "prev.nth_time": ("time",),
    "prev.times": ("times",),
    "prev.called_before": ("called", "rang", "phoned", "spoke", "on the phone", "in touch", "chatted", "emailed"),
    "prev.again": ("again", "back"),
    "prev.told": ("told", "promised", "assured"),
    "comm.received": ("got", "received", "had", "sent"),
    "comm.arrived": ("came", "arrived", "come"),
    "comm.saw_offer": ("saw",),
    "comm.saying": ("saying", "telling", "asking"),
    "change.price_up": (" up",),
    "change.went_up": ("gone up", "went up", "increased", "jumped", "doubled", "risen", "higher"),
    "change.higher_than": ("higher than",),
    "change.price_rise": ("price", "new ", "extra "),
    "change.update": ("update", "upgrade", "change", "new version"),
    "change.policy": ("terms", "polic", "rules", "conditions", "changed"),
    "life.moving": ("moved", "moving", "old address"),
    "life.bereavement": ("passed away", "died", "bereave", "funeral", "death", "executor", "probate"),
    "life.travel": ("i'm", "i am", "we're", "we are", "holiday", "trip", "travelling"),
    "life.lost_card": ("lost", "misplaced", "find", "stolen", "nicked", "left my", "missing"),
    "life.family": ("married", "divorced", "baby", "job", "redundant"),
}
TRIGGER_RULESET = _family(TRIGGER_RULES, TRIGGER_KEYWORDS)
TRIGGER_KIND = {
    "prev": "previous_contact",
    "comm": "communication_received",
    "change": "price_or_policy_change",
    "life": "life_event",
}
TRIGGER_DETAIL = {
    "prev.nth_time": "repeat_contact",
    "prev.times": "repeat_contact",
    "prev.called_before": "earlier_contact",
    "prev.again": "repeat_contact",
    "prev.told": "earlier_promise",
    "comm.saw_offer": "advert",
    "change.price_up": "price_rise",
    "change.went_up": "price_rise",
    "change.higher_than": "price_rise",
    "change.price_rise": "price_rise",
    "change.update": "app_or_product_update",
    "change.policy": "policy_change",
    "life.moving": "moving_house",
    "life.bereavement": "bereavement",
    "life.travel": "travel_abroad",
    "life.lost_card": "lost_or_stolen",
    "life.family": "family_or_work_change",
}
COMM_WORD = re.compile(r"letter|e-?mail|text|message|notification|bill|statement|invoice|voicemail|notice|alert", re.I)

# Self-service event types that count as a failure (plus any type ending in _failed or _error).
FAILED_EVENTS = frozenset({"password_reset_failed", "payment_failed", "login_failed", "form_error", "app_error"})

# -- wants: request leads; the object is the rest of the clause ---------------------------------------

WANT_RULES: dict[str, str] = {
    "want.calling_about": r"\b(?:I'm|I am) (?:calling|ringing|phoning|writing|emailing|messaging|getting in touch"
    r"|contacting you|here) (?:to|about|regarding|re|because)\s+",
    "want.would_like": r"\bI(?:'d| would) (?:really |just )?(?:like|love)(?: you)?(?: to)?\s+",
    "want.want": r"\bI (?:really |just |also |only )?(?:want|need|wanted|was hoping)(?: you)?(?: to)?\s+",
    "want.can_i": r"\b(?:can|could|may) I (?:please )?(?=(?:have|get|add|borrow|upgrade|change|switch|cancel|close"
    r"|increase|dispute|freeze|block)\b)",
    "want.can_you": r"\b(?:can|could|would) you (?:please |possibly |just )?(?!help me\b|hear me\b|help\?)",
    "want.how_do_i": r"\bhow (?:do|can|would|should) I\s+",
    "want.where_is": r"\b(?:where(?:'s| is| are)|what's happened to|what has happened to)\s+(?=(?:my|the|our)\b)",
    "want.chasing": r"\b(?:I'm|I am) (?:still )?(?:waiting (?:for|on)|chasing)\s+",
    "want.why": r"\bwhy\s+(?=(?:is|has|have|was|does|did|are|were|do)\b)",
}
WANT_KEYWORDS: dict[str, tuple[str, ...]] = {
    "want.calling_about": ("i'm", "i am"),
    "want.would_like": ("i'd", "i would"),
    "want.want": ("want", "need", "hoping"),
    "want.can_i": ("can i", "could i", "may i"),
    "want.can_you": ("you",),
    "want.how_do_i": ("how",),
    "want.where_is": ("where", "happened to"),
    "want.chasing": ("waiting", "chasing"),
    "want.why": ("why",),
}
WANT_RULESET = _family(WANT_RULES, WANT_KEYWORDS)
WANT_PREFIX = {"want.where_is": "chase ", "want.chasing": "chase ", "want.why": "explain why "}
# Fallbacks when no request is made: the problem itself.
CANT_RE = re.compile(r"\bI (?:can't|cannot|can not|couldn't|am unable to|'m unable to)\s+", re.I)
BROKEN_RE = re.compile(
    r"\b(?:my|the|our) ((?:[\w-]+ ){0,2}?[\w-]+) (?:isn't|is not|won't|doesn't|does not|keeps|has stopped|stopped"
    r"|is down|is broken|was declined|got declined|bounced|failed|didn't go through)\b",
    re.I,
)
OBJ_END = re.compile(r"[.?!;:\n\x00]|,\s|\s(?:and|but|because|as|so|if|since|which|though|or)\s|\s-\s", re.I)
DETERMINERS = frozenset({"a", "an", "the", "my", "some", "more", "your", "this", "that", "our", "any", "another"})
GENERIC_WANTS = frozenset(
    {"", "help", "help me", "some help", "ask", "know", "speak to someone", "talk to someone", "ask a question",
     "a hand", "check", "let you know", "say", "be honest", "make sure", "do", "do that", "it", "that", "this",
     "go", "be", "get", "you", "me", "speak to a person", "talk to a person", "repeat that", "hear me"}
)  # fmt: skip
TRAILING_FILLER = re.compile(
    r"(?:\s+(?:please|today|now|for me|if possible|if that's okay|if you can|asap|thanks|thank you|with you"
    r"|with harbourline|then|then please|quickly|anyway))+$",
    re.I,
)
LEADING_FILLER = re.compile(r"^(?:to |be able to |please |just |really |actually |also )+", re.I)

# -- friction: the first customer turn with a problem, complaint or repetition -------------------------

PROBLEM_RE = re.compile(
    r"\b(?:can't|cannot|can not|couldn't|won't|isn't|doesn't|didn't|hasn't|haven't|wasn't|not working|not happy"
    r"|never (?:got|received|arrived)|keeps? (?:failing|crashing|dropping|logging|getting|saying|freezing|restarting"
    r"|cutting|rejecting)|declined|refused|rejected|failed|fails|bounced|errors?|broken|blocked|locked out|stolen"
    r"|lost|missing|wrong|twice|still|again|problem|issue|complain\w*|ridiculous|unacceptable|fed up|frustrat\w*"
    r"|worried|gone up|higher than|don't (?:recognise|understand)|scam\w*|fraud|going round in circles"
    r"|on hold for ages|no (?:internet|signal|service|way to))\b",
    re.I,
)

# -- ending: agent outcome signals, customer reactions, transfers --------------------------------------

AGENT_END_RULES: dict[str, str] = {
    "end.transfer": r"\b(?:I'll|I will|let me|I'm going to|I can) (?:transfer|put|pass) you "
    r"(?:through|over|across|to)\b|\b(?:transfer|put) you (?:through|over)\b|\bconnecting you to\b",
    "end.callback": r"\b(?:(?:I|we)(?:'ll| will)|(?:someone|somebody|one of (?:my|our) colleagues"
    r"|(?:the|our) [\w-]+ team|they)(?:'ll| will| should| is going to| are going to)) "
    r"(?:give you a )?(?:call|ring|phone|get back to"
    r"|be in touch|contact|email|text|write to|follow up)\b",
    "end.pending": r"\b(?:it|they|the (?:refund|money|credit|payment|card|replacement|new one|letter|code)"
    r"|your (?:refund|money|card|new card))(?: should| will|'ll| ought to) (?:be with you|arrive|come through"
    r"|reach you|be back|be in your account|be credited|clear|be delivered|be processed)\b|\bplease allow\b"
    r"|\bcan take up to\b|\b(?:need|needs|have|has) to review\b|\bmerchant has\b|\bwe'll let you know\b",
    "end.refusal": r"\b(?:I|we) (?:can't|cannot|can not|am not able to|'m not able to|'m unable to|am unable to"
    r"|won't be able to)\b|\b(?:I'm afraid|unfortunately)\b|\byou'll (?:need|have) to\b"
    r"|\b(?:wasn't|was not|isn't|not) (?:approved|eligible|due|covered|in our)\b|\bwas declined\b"
    r"|\bcharges are correct\b|\btry again (?:later|tomorrow)\b|\bin the meantime\b|\buntil the fix\b",
    "end.done": r"\b(?:I've|I have|we've|that's|it's|they're)(?: now| just| also)? (?:updated|cancell?ed|ordered"
    r"|refunded|reversed|removed|lifted|reset|unlocked|sent|re-sent|resent|reinstated|fixed|credited|applied"
    r"|added a|moved you|upgraded|increased|released|pushed it through|processed|started the|blocked|booked"
    r"|activated|waived|retried|re-presented|reapplied|put a|sorted|done|confirmed|cleared|changed|restored"
    r"|reconnected|switched|cancelled)\b|\b(?:is|are) now (?:blocked|cancell?ed|working|active|live|fixed|sorted"
    r"|unblocked)\b|\b(?:should|will) work (?:now|again)\b|\bworking again\b|\b(?:is|'s) ordered\b"
    r"|\bon its way\b|\byou(?:'re| are) all (?:set|sorted)\b|\blive now\b|\bglad (?:I|we) could help\b",
}
AGENT_END_KEYWORDS: dict[str, tuple[str, ...]] = {
    "end.transfer": ("transfer", "put you", "pass you", "connecting you"),
    "end.callback": ("call", "ring", "phone", "get back", "in touch", "contact", "email", "text", "write", "follow up"),
    "end.pending": ("should", "will", "'ll", "ought", "allow", "take up to", "review", "merchant", "let you know"),
    "end.refusal": ("can't", "cannot", "can not", "able", "afraid", "unfortunately", "you'll", "approved", "eligible",
                    "due", "covered", "in our", "declined", "correct", "try again", "meantime", "until the fix"),
    "end.done": ("i've", "i have", "we've", "that's", "it's", "they're", " now", "work", "ordered", "on its way",
                 "all set", "all sorted", "glad"),
}  # fmt: skip
AGENT_END_RULESET = _family(AGENT_END_RULES, AGENT_END_KEYWORDS)

CUSTOMER_END_RULES: dict[str, str] = {
    "close.unresolved": r"\bstill (?:not|isn't|hasn't|doesn't|won't|no)\b|\bnot (?:really |entirely )?(?:good enough"
    r"|what I wanted|happy|fixed|sorted|resolved)\b|\bhave to wait (?:again|even longer)\b|\b(?:ridiculous"
    r"|unacceptable|a joke|useless|hopeless|can't believe this)\b|\bthinking (?:about|of) leaving\b"
    r"|\bmake a complaint\b|\bnobody ever\b|\bwasted\b|\bdoesn't help\b",
    "close.resolved": r"\b(?:that's|that is|you've been) (?:really |so |very |all )?(?:great|brilliant|perfect|lovely"
    r"|fantastic|sorted|fixed|a relief|helpful|exactly what I needed|done)\b|\bthanks (?:so much |a lot )?for"
    r" sorting\b|\b(?:brilliant|great|perfect|fantastic|lovely|oh good)[,!]|\byes,? that's it\b",
}
CUSTOMER_END_KEYWORDS: dict[str, tuple[str, ...]] = {
    "close.unresolved": ("still", "not ", "wait", "ridiculous", "unacceptable", "joke", "useless", "hopeless",
                         "believe", "leaving", "complaint", "nobody", "wasted", "help"),
    "close.resolved": ("that's", "that is", "you've been", "sorting", "brilliant", "great", "perfect", "fantastic",
                       "lovely", "good", "that's it"),
}  # fmt: skip
CUSTOMER_END_RULESET = _family(CUSTOMER_END_RULES, CUSTOMER_END_KEYWORDS)
SECONDARY_RE = re.compile(
    r"\b(?:while I've got you|one more thing|one other thing|while I'm on|before you go)\b|^\s*also,", re.I
)

DUE_RE = re.compile(
    r"\b(?:(?:in|within|over|up to)(?: the next)? (?P<n>" + _NUM + r")(?:\s*(?:to|-|–|or)\s*(?P<n2>" + _NUM + r"))?"
    r" (?P<work>working |business )?(?P<unit>minutes?|hours?|days?|weeks?)"
    r"|by (?:the )?end of (?:the )?(?P<end>day|week|month)"
    r"|(?:by |on )?(?P<rel>tomorrow|today|" + _DAYS + r"))\b",
    re.I,
)
NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "fourteen": 14, "a few": 3, "a couple of": 2, "several": 5,
}  # fmt: skip

# -- likely next: hints in the agent's words --------------------------------------------------------

NEXT_RULES: dict[str, str] = {
    "next.new_card": r"\b(?:ordered|sent|sending|order)\b" + C + r"{0,30}\b(?:new (?:card|one)|replacement)\b"
    r"|\b(?:new|replacement) (?:card|one)(?: is)? (?:on its way|ordered)\b",
    "next.dispute": r"\b(?:raised|opened|started|lodged) (?:a |the )?(?:dispute|chargeback)\b",
    "next.fraud_review": r"\bfraud team\b",
    "next.password": r"\b(?:temporary password|new reset link|code I've texted)\b",
    "next.handset": r"\bnew phone is ordered\b|\bwill be delivered\b",
    "next.plan": r"\b(?:upgraded you|moved you) to\b",
    "next.pac": r"\bPAC code\b",
    "next.confirmation": r"\bconfirmation (?:email|text|letter)\b",
    "next.engineer": r"\bengineer\b",
}
NEXT_KEYWORDS: dict[str, tuple[str, ...]] = {
    "next.new_card": ("new card", "replacement", "new one"),
    "next.dispute": ("dispute", "chargeback"),
    "next.fraud_review": ("fraud team",),
    "next.password": ("temporary password", "reset link", "code i've texted"),
    "next.handset": ("new phone", "delivered"),
    "next.plan": ("upgraded you", "moved you"),
    "next.pac": ("pac code",),
    "next.confirmation": ("confirmation",),
    "next.engineer": ("engineer",),
}
NEXT_RULESET = _family(NEXT_RULES, NEXT_KEYWORDS)
NEXT_ACTION = {
    "next.new_card": "activation of the new card",
    "next.dispute": "dispute outcome",
    "next.fraud_review": "fraud claim outcome",
    "next.password": "log in and set a new password",
    "next.handset": "delivery of the new handset",
    "next.plan": "new plan on the next bill",
    "next.pac": "use the PAC code to switch provider",
    "next.confirmation": "confirmation of the change",
    "next.engineer": "engineer visit",
}
REASON_NEXT = {
    "lost_stolen_card": "activation of the new card",
    "dispute_transaction": "dispute outcome",
    "fraud_alert": "fraud claim outcome",
    "refund_status": "refund arrival",
    "close_account": "final bill and closure confirmation",
    "change_address": "confirmation of the new details",
    "upgrade_plan": "delivery or start of the new plan",
    "engineer_appointment": "engineer visit",
    "broadband_outage": "check that the service is restored",
    "payment_arrangement": "first payment under the plan",
    "password_reset": "first successful login",
    "direct_debit_failed": "next collection goes through",
}

# -- language: a cheap stopword ratio --------------------------------------------------------------

WORD_RE = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_STOPWORDS = (
    "a about after again all am an and any are as at be been but by can can't could did do does don't for from "
    "get got had has have haven't he her him his how i i'm i've i'd i'll if in into is isn't it it's its just "
    "me my no not now of on or our out over please she so some that that's the their them then there they this "
    "to up us was we what when where which who why will with won't would you you're your yes okay thanks"
)
ENGLISH_STOPWORDS = frozenset(_STOPWORDS.split())

"""The sentiment lexicon's contact-centre additions and VADER's constants (see sentiment.py)."""

from __future__ import annotations

import re

ALPHA = 15.0  # VADER's normalisation constant
N_SCALAR = -0.74  # VADER negation scalar
C_INCR = 0.733  # VADER all-caps increment
EXCLAIM = 0.292  # VADER per "!" (at most 4)

# -- contact-centre adaptation of the lexicon ------------------------------------------------------

# Single words: value replaces VADER's (0.0 makes the word neutral).
DOMAIN_WORDS: dict[str, float] = {
    # dialogue acts and banking/telco nouns VADER reads as sentiment
    "yes": 0.0,
    "yeah": 0.0,
    "yep": 0.0,
    "no": 0.0,
    "nope": 0.0,
    "ok": 0.0,
    "okay": 0.0,
    "fine": 0.0,
    "please": 0.0,
    "help": 0.0,
    "like": 0.0,
    "pretty": 0.0,
    "credit": 0.0,
    "interest": 0.0,
    "security": 0.0,
    "secure": 0.0,
    "care": 0.0,
    "dear": 0.0,
    "true": 0.0,
    "share": 0.0,
    "accept": 0.0,
    "reward": 0.0,
    "rewards": 0.0,
    "free": 0.0,
    "save": 0.0,
    "want": 0.0,
    "well": 0.0,
    "pay": 0.0,
    "charged": 0.0,
    "kind": 0.0,
    "matches": 0.0,
    "hold": 0.0,
    "block": 0.0,
    "blocked": -0.6,
    "lost": -0.6,
    "problem": -0.9,
    "issue": -0.6,
    "error": -1.0,
    "wrong": -1.2,
    "sorry": 0.0,
    "joke": -1.5,
    "cancel": -0.8,
    "cancelled": -0.6,
    "complaint": -2.0,
    "complain": -1.8,
    "declined": -1.5,
    "decline": -1.0,
    "overcharged": -2.0,
    "shambles": -2.5,
    "disgrace": -2.8,
    "disgraceful": -2.8,
    "appalling": -2.8,
    "rubbish": -2.0,
    "nightmare": -2.5,
    "ombudsman": -2.0,
    "chasing": -1.0,
    "overdrawn": -1.2,
    "locked": -0.8,
    "broken": -1.5,
    "outage": -1.5,
    "stuck": -1.2,
    "useless": -2.2,
    "hopeless": -2.2,
    "incompetent": -2.5,
    "ridiculous": -2.0,
    "unacceptable": -2.3,
    "worrying": -1.3,
    "sorted": 1.5,
    "resolved": 1.5,
    "fixed": 1.2,
    "refunded": 1.0,
    "helpful": 2.0,
    "relief": 2.1,
    "fab": 2.0,
    "ta": 0.8,
    "cheers": 1.2,
    "thanks": 1.5,
    "thank": 1.5,
    "sure": 0.0,
    "number": 0.0,
    "honest": 0.0,
    "honestly": 0.0,
    "promised": 0.0,
    "promise": 0.0,
    "treat": 0.0,
    "loyal": 0.5,
    "respect": 0.0,
    "clue": 0.0,
    "fair": 0.3,
    "escalate": -0.8,
    "scam": -2.5,
    "fraud": -1.5,
    "unfortunately": -1.0,
}

# Multi-word phrases (after lower-casing and removing apostrophes): "(a|b)" alternates, "[x]"
# is optional. A value of 0.0 masks the phrase (its words score nothing).
DOMAIN_PHRASES: dict[str, float] = {
    "charged (twice|two times|double)": -2.2,
    "(double|duplicate) (charge|charged|payment)": -2.0,
    "still (not|isnt|hasnt|havent|hasnt been|isnt been) (fixed|sorted|working|resolved|arrived|here)": -2.3,
    "still (not|isnt|hasnt|havent) (been )(fixed|sorted|resolved)": -2.3,
    "still (waiting|nothing|no refund|no answer|broken|down|not working)": -2.0,
    "(nothing has|nothings|nothing) (happened|changed)": -1.8,
    "(second|third|fourth|fifth) time [that ](ive|i have|weve) (called|rung|phoned|been in touch|contacted)": -2.2,
    "(second|third|fourth|fifth) time [that ](ive|i have|weve) chased": -2.2,
    "(called|rung|phoned) (twice|three times|several times|so many times)": -2.0,
    "(make|making|raise|log|file) a (formal )complaint": -2.4,
    "(this is|thats|its) (a joke|a complete joke|a disgrace|ridiculous|unacceptable)": -2.6,
    "(not|isnt|wasnt) (good enough|acceptable|on)": -1.8,
    "not what i wanted to hear": -1.6,
    "(fed up|sick of|tired of|had enough)": -2.2,
    "(waste|wasted|wasting) (of )(time|my time|hours|a whole morning|my morning)": -2.2,
    "(thinking about|going to|want to|will be) (leaving|leave|switch|switching|move|moving) [provider|bank|to]": -2.0,
    "nobody ever (calls|rings|gets|sorts)": -2.2,
    "no one ever (calls|rings|gets|sorts)": -2.2,
    "(been|was|kept) on hold": -1.3,
    "(on hold for|waiting for) (ages|hours|an hour|weeks|days)": -1.8,
    "(doesnt|dont|didnt|wont|isnt|not) (work|working)": -1.5,
    "(thanks|cheers|thank you) for nothing": -2.4,
    "yeah right": -1.5,
    "(have|got) to wait (again|even longer|longer|another)": -1.2,
    "how is this (acceptable|fair|possible)": -2.2,
    "(no|not a) problem": 0.5,
    "(no|not a) (worries|bother)": 0.5,
    "(no|dont) worry": 0.3,
    "(that|thats|its|all) (sorted|fixed|resolved)": 1.8,
    "(sorted|fixed|resolved) it": 1.6,
    "(thats|that is) a relief": 2.2,
    "spot on": 1.8,
    "fair enough": 0.3,
    "lost my (card|phone|wallet|purse|bank card|debit card|credit card)": 0.0,
    "(a|one) (quick|small) question": 0.0,
    "(charged|billed|took|taken|take) (me|it|the money|the payment|the direct debit|the bill) twice": -2.2,
    "(been|still|kept) waiting": -1.2,
    "waiting (for|on) (a|my|the) (refund|callback|call back|reply|response|engineer|card|money)": -1.5,
    "without (any )(warning|notice|explanation|telling me)": -1.5,
    "gone up": -0.8,
    "(didnt|never|hasnt|havent|hadnt|did not|has not|not) (turn|turned|show|shown|showed) up": -1.8,
    "(nobody|no one|noone) (told|tells|told me|has told|bothered|cares|knows|has a clue|has been able)": -1.8,
    "(called|rung|phoned|contacted you) (twice|three times|four times|five times|several times|so many times)": -2.0,
    "(explained|told you) (this|that|it) (twice|three times|again|already|before)": -1.5,
    "(three|four|five|several|so many) times already": -1.5,
    "different answer": -1.0,
    "never (came|arrived|happened|got|received|turned up|called|rang|heard back)": -1.5,
    "still (not|isnt|hasnt|havent|no|nothing) *": -1.8,
    "(passed|pushed|bounced|passed around|pushed around) (from|between|around)": -1.5,
    "(not|nobody|no one|youre not|arent) (listening|listens)": -1.5,
    "(cant|couldnt|can not) believe": -1.0,
    "(couldnt|could not|cant|can not) be (happier|better|more pleased)": 2.5,
    "(cant|can not|couldnt) thank you enough": 2.5,
    "locked out": -1.5,
    "(minutes|hours|ages|an hour) on hold": -1.5,
    "another (fee|charge|delay|hour|week|month|engineer|excuse|call)": -1.2,
    "(money|cash|savings) (is|has) (just )(gone|disappeared|vanished)": -1.8,
    "(to be honest|with respect|in fairness|be honest)": 0.0,
    "(not sure|no idea|dont know)": 0.0,
    "cancel (the|a|my|that) (old )(direct debit|standing order|payment|order|appointment)": 0.0,
    "(i|id|i would|we would|wed) like": 0.0,
    "would be (great|lovely|good|nice) if": 0.0,
    "pass(ed) security": 0.0,
    "(good|great) question": 0.0,
    "(good|great) (morning|afternoon|evening)": 0.0,
    "(free|no) charge": 0.0,
}

# Courtesy and empathy formulas: masked for agents and bots (they describe politeness, not how
# the agent feels); for a customer some of them are their closing ritual instead.
AGENT_FORMULAS: tuple[str, ...] = (
    "(thank you|thanks) for (calling|contacting|holding|waiting|your patience|bearing with me|getting in touch)",
    "sorry to (hear|keep you) [that|about that|waiting|holding]",
    "(im|i am|were|we are) (so |really |very |truly |terribly )(sorry|afraid)",
    "(i|we) (completely |totally |fully )understand",
    "how (frustrating|annoying|stressful|upsetting) (that|this) (must be|is)",
    "i can (see|understand) why you(d| would) be (annoyed|upset|worried|frustrated|angry)",
    "sorry youve had to",
    "that sounds (really |so )(stressful|annoying|frustrating|difficult|awful)",
    "oh (no|dear)",
    "not the experience we want",
    "(thats|that is) (really )not good enough",
    "(apologies|i apologise|we apologise) for",
    "sorry (for|about) the (wait|delay|inconvenience|trouble)",
    "bear with me",
    "(have a|enjoy your) (good|great|nice|lovely) (day|evening|weekend)",
)
AGENT_NEUTRAL_WORDS = frozenset(
    {"sorry", "apologies", "apologise", "unfortunately", "afraid", "thanks", "thank", "lovely", "perfect", "great"}
)

# A customer's ritual: closing and courtesy words that say nothing about how it went.
RITUAL_WORDS = frozenset({"thanks", "thank", "cheers", "ta", "bye", "goodbye", "please", "hello", "hi"})
RITUAL_PHRASES: tuple[str, ...] = (
    "(no|nope|nah) (thats|that is|i think thats) (all|everything|it)",
    "(thats|that is|i think thats) (all|everything|it) (for now|for today)",
    "(have a|you too|and you) (good|great|nice|lovely) (day|one|evening|weekend)",
    "you too",
)

# Sarcasm: a positive exclamation standing alone (or after "oh"/"just"/"so") in a negative turn.
SARCASM_WORDS = frozenset(
    {"great", "brilliant", "lovely", "perfect", "fantastic", "wonderful", "marvellous", "superb", "excellent", "super"}
)
SARCASM_LEADS = frozenset({"oh", "just", "so", "well", "how"})

TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)*|[!?.;:]")
SENTENCE_BREAKS = frozenset({".", ";", ":", "!", "?"})


# Contractions that would collide with a lexicon word once their apostrophe is gone.
KEEP_APOSTROPHE = frozenset({"ill", "hell", "shell", "wed", "well", "shed", "hed"})

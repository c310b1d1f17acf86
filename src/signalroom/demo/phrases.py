"""Phrases every conversation shares: greetings, disclosures, verification, holds, closings.

All text here was written for signalroom's demo; the context slots ({agent}, {name}, {company},
…) are filled per conversation by :mod:`signalroom.demo.conversations`.
"""

from __future__ import annotations

# The call-recording disclosure, in the wordings agents use. Each one says "record".
DISCLOSURES = [
    "just so you know, this call may be recorded for training and quality purposes.",
    "calls are recorded and may be monitored for quality and training.",
    "please be aware this call is being recorded.",
    "before we start, I need to let you know that we record our calls for quality and training.",
    "this call will be recorded so we have an accurate note of what we agree.",
    "I have to mention that this call may be monitored or recorded.",
    "just to make you aware, we're recording this call for quality purposes.",
]

COMMON: dict[str, list[str]] = {
    # -- agent openings -------------------------------------------------------------------------
    "greet_voice": [
        "{hello}, (you're through to|thanks for calling|welcome to) {company}, "
        "(my name is|this is|you're speaking with) {agent_first}.",
        "{hello}, {company} {dept}, {agent_first} speaking.",
        "(Hi|Hello), (thanks for holding|thanks for waiting), you're through to {agent_first} at {company}.",
    ],
    "disclosure": DISCLOSURES,
    "how_help": [
        "How can I help (you )today?",
        "What can I do for you today?",
        "How can I help?",
        "What's the call about today?",
        "(Who am I speaking with and )how can I help?",
    ],
    "greet_chat": [
        "(Hi|Hello|Hi there){name_tail}, (you're chatting with|this is|my name's) {agent_first}. "
        "How can I help (you )today?",
        "Hello and thanks for (waiting|contacting {company}). I'm {agent_first}, how can I help?",
        "Hi{name_tail}! {agent_first} here from the {company} team. What can I do for you?",
    ],
    "name_tail": [" {first}", ""],
    "ask_why": [
        "Of course, what's it (about|regarding)?",
        "(Sure|No problem), what (seems to be the problem|can I help with)?",
        "Happy to help. What's (happened|going on)?",
        "Okay, tell me what's going on and I'll see what I can do.",
    ],
    # -- customer openings ----------------------------------------------------------------------
    "hello_cust": ["Hi", "Hello", "Hiya", "Morning", "Hi there", "Hello there", "Oh hi", "Yes, hello"],
    "vague_open": [
        "{hello_cust}, yes, I was hoping you could help me with something.",
        "{hello_cust}. I'm not really sure who I need to (speak|talk) to, to be honest.",
        "{hello_cust}, I've got a (question|problem|bit of an issue) (with my account|about my account|if that's okay).",
        "{hello_cust}, I've been trying to sort something out (all morning|for days) and I'm going round in circles.",
        "{hello_cust}, can you help me? (I hope so anyway.|I've been on hold for ages.)",
    ],
    "small_talk": [
        "Sorry, (bear with me|give me a second), I'm just (finding my glasses|pulling over|getting a pen).",
        "(Gosh|Goodness), it's (freezing|pouring down|so windy) out there today.",
        "Sorry, the (kids|dog) (are|is) making a racket in the background.",
        "It's been one of those (days|weeks), honestly.",
        "Sorry, I'm on my lunch break so I've only got a few minutes.",
    ],
    "small_talk_reply": [
        "(No problem|Not a problem) at all, take your time.",
        "Ha, (I know the feeling|tell me about it). (No rush|Take your time).",
        "That's (absolutely )fine, we'll get you sorted as quick as we can.",
    ],
    "tone_angry": [
        "(Honestly|Look), this is (ridiculous|unacceptable|a complete joke).",
        "I'm (really|absolutely) fed up (with this|to be honest).",
        "I am not happy at all.",
        "I've been a customer for (years|ages) and this is how I'm treated?",
    ],
    "tone_worried": [
        "I'm a bit worried, to be honest.",
        "I'm (quite|a bit) stressed about it.",
        "It's really (worrying|stressing me out).",
    ],
    "repeat_prefix": [
        "(This is the (second|third) time I've (called|been in touch) about this.|"
        "I (called|spoke to someone|was on the phone) {prev_when} about (this|the same thing) already.)",
        "I was told (it would be sorted|someone would (call|get back to) me) and (nothing has happened|"
        "it still isn't (fixed|sorted)).",
        "I'm (calling|getting in touch) again because (nothing's changed|it still hasn't been sorted) since {prev_when}.",
    ],
    # -- verification ---------------------------------------------------------------------------
    "verify_lead": [
        "(Before I (look into that|go any further|can look at the account)|First of all|Okay, I'll just need to "
        "(pass you through security|verify a few details) first),",
    ],
    "verify_ask_dob": [
        "(can I take|could you give me|I'll just need) your full name and date of birth[, please].",
        "can you (confirm|tell me) your (full name|name) and date of birth?",
    ],
    "verify_answer_dob": [
        "(Yes|Sure|Yeah), it's {name}, (born|date of birth) {dob}.",
        "{name}, {dob}.",
        "It's {name}... and {dob}.",
    ],
    "verify_ask_address": [
        "(can I take|could you give me) your postcode and the first line of your address[, please].",
        "can you (confirm|tell me) your postcode and house number?",
    ],
    "verify_answer_address": [
        "(Yes|Sure), it's {postcode}, {street}.",
        "{street}, {postcode}.",
        "(Okay|Right). (My|The) postcode is {postcode} and it's {street}.",
    ],
    "verify_ask_card": [
        "(can I take|could you give me) your date of birth and the last four digits of your card[, please].",
    ],
    "verify_answer_card": [
        "(Okay|Right). It's {dob}, and the card ends {last4}.",
        "{dob}. (And|The) last four are {last4}.",
    ],
    "verify_retry": [
        "Hmm, that doesn't quite match what I have. Could you (say|give me) that again, (slowly|please)?",
        "Sorry, I didn't catch that (fully|properly), could you repeat it?",
    ],
    "verify_ok": [
        "(Thank you|Thanks|Lovely), (that's you (verified|through security)|you've passed security|that all matches).",
        "(Perfect|Great), thanks {first}. (I've got your account up now.|I can see your account here.)",
    ],
    # -- holds, empathy and checks --------------------------------------------------------------
    "hold_ask": [
        "(Could you|Would you mind if I) (bear with me|pop you on a (quick|brief) hold|hold the line) "
        "(for a moment|for a minute|while I check|while I look into this)?",
        "Let me (just )(look into|check) that for you, (it might take|bear with me for) a (minute|couple of minutes).",
    ],
    "hold_ok": ["(Yes|Yeah|Sure), (that's fine|no problem).", "Okay.", "Sure, go ahead."],
    "hold_back": [
        "((Thanks|Thank you) for (holding|waiting|bearing with me)|Sorry to keep you (waiting|holding))[, {first}].",
        "(Right|Okay), (I'm back|thanks for your patience).",
    ],
    "checking": [
        "(Let me (just )(have a look|check that)|Okay, I'm (just )looking at (that|the account) now).",
        "(Right|Okay), (give me a second|one moment) while I (pull that up|check the notes).",
    ],
    "empathy": [
        "I'm (so|really|very) sorry to hear that.",
        "I (completely|totally) understand how frustrating that must be.",
        "That's (not the experience we want you to have|really not good enough), I'm sorry.",
        "I can (see|understand) why you'd be (annoyed|upset|worried) about that.",
        "I'm sorry you've had to deal with (this|all of this).",
        "(Oh no|Oh dear), that sounds (really )(stressful|annoying).",
    ],
    "secondary_lead": [
        "(While I've got you|Oh, and one more thing|Actually, while I'm on|Also), ",
        "(Before you go|Sorry, just one other thing), ",
    ],
    # -- reactions and closings -----------------------------------------------------------------
    "react_good": [
        "(Brilliant|Great|Perfect|Lovely|Oh good), (that's (really )helpful|that's a relief|thank you).",
        "(Oh )that's great, thanks (so much|a lot|for sorting that).",
        "Fantastic, (you've been really helpful|that's exactly what I needed).",
    ],
    "react_ok": [
        "(Okay|Right|Alright), (fine|I see|that makes sense).",
        "Okay, I'll (wait and see then|keep an eye on it).",
        "Fair enough, thanks.",
    ],
    "react_bad": [
        "(Right|Okay)... that's not really (good enough|what I wanted to hear).",
        "I'm not (really|entirely) happy (about|with) that, to be honest.",
        "So I (just )have to wait (again|even longer)? (Great.|Brilliant.)",
    ],
    "react_angry": [
        "(This is (ridiculous|unacceptable|a joke)|I can't believe this). "
        "(I'm seriously thinking about leaving.|Nobody ever (calls me back|sorts anything out).|"
        "I want to make a complaint.)",
        "(You're|You lot are) (useless|hopeless). I've (wasted|lost) (hours|a whole morning) on this.",
    ],
    "anything_else": [
        "Is there anything else I can help (you )with today?",
        "(Anything|Was there anything) else (I can do for you|you needed)?",
        "Can I help with anything else (while you're here|today)?",
    ],
    "no_else": [
        "No, that's (everything|all|it)[, thanks].",
        "(Nope|No), that's all for now, thank you.",
        "(No|Nah), I think that's it.",
    ],
    "close_agent": [
        "(Thanks for (calling|contacting) {company}|Thank you for your (time|patience)), "
        "(have a (great|lovely|good) (day|evening|afternoon)|take care)[, {first}].",
        "(Okay|Alright), (take care|you have a good day), bye (now|for now)!",
    ],
    "close_cust": ["(Thanks|Cheers|Thank you), bye.", "Bye.", "Thanks, you too. Bye.", "Okay, bye."],
    "transfer_say": [
        "(Ah|Okay), that's (actually|something) handled by our {to_team} team. I'll transfer you (now|over), "
        "(please hold|stay on the line).",
        "I'm (sorry|afraid) I can't (do that|help with that) from here, I'll put you through to {to_team}.",
    ],
    # -- bots -----------------------------------------------------------------------------------
    "bot_greet": [
        "Hi, I'm {bot}, {company}'s virtual assistant. What can I help you with today?",
        "Hello! I'm {bot}. Tell me in a few words what you need help with.",
    ],
    "bot_clarify": [
        "I think you're asking about {reason_name}. Is that right?",
        "Sorry, I didn't quite get that. Could you say it another way?",
        "Here's an article that might help: {faq_title}. Did that answer your question?",
    ],
    "bot_cust_unhappy": [
        "No, that doesn't help.",
        "(Agent|Speak to a person|Human please|Real person).",
        "That's not what I asked. Can I talk to someone?",
        "no",
    ],
    "bot_cust_yes": ["Yes", "yes that's it", "Yeah", "Yes thanks"],
    "bot_handoff": [
        "No problem, I'm connecting you to one of our team now. (Someone will be with you shortly.|"
        "The wait is about {wait} minutes.)",
        "Let me pass you to an agent who can help with that.",
    ],
    "bot_contained": [
        "Great, glad I could help! Is there anything else?",
        "Happy to help. You can find more in the Help section of the app.",
    ],
    # -- written channels -----------------------------------------------------------------------
    "email_open": [
        "Hello,",
        "Hi,",
        "Dear Sir/Madam,",
        "Hi there,",
        "To whom it may concern,",
        "Dear {company},",
    ],
    "email_sign": [
        "(Thanks|Many thanks|Kind regards|Regards|Best wishes),\n{name}",
        "(Thanks|Cheers)\n{first}",
    ],
    "email_agent_open": [
        "Dear {first},\n\nThank you for your email.",
        "Hi {first},\n\nThanks for getting in touch with {company}.",
        "Hello {first},\n\nThank you for contacting us, and sorry for the (delay|wait) in replying.",
    ],
    "email_agent_sign": [
        "(Kind regards|Best wishes|Many thanks),\n{agent}\n{company} Customer Care",
        "If there's anything else, just reply to this email.\n\n{agent}\n{company}",
    ],
    "social_agent": [
        "Hi {first}, sorry to hear this. Can you send us a DM with (a few details|your postcode) "
        "and we'll take a look? ^{initials}",
        "Hey, that's not what we like to hear. Drop us a DM and we'll get it sorted. ^{initials}",
        "Sorry about this {first}! We've replied in DMs. ^{initials}",
    ],
    "social_tag": ["@{company}", "@{company}Help", "{company}"],
    "sms_ack": ["Ok", "ok thanks", "Thank you", "👍", "Great", "ok"],
}

# Handoffs, transfers, follow-up timings and survey comments.
EXTRA: dict[str, list[str]] = {
    "greet_handoff": [
        "Hi {first}, I'm {agent_first}. I can see you've been chatting with {bot}, let me take a look.",
        "Hello, {agent_first} here, thanks for waiting. I've got the notes from {bot}, (bear with me|one moment).",
    ],
    "transferred_prefix": [
        "(Hi|Hello), I've just been (transferred|put through) from {from_team}.",
        "Hi, they said you're the right people for this.",
    ],
    "fix_when": [
        "within 48 hours",
        "in the next few days",
        "by the end of the week",
        "within five working days",
    ],
    "okay_short": ["Okay.", "Fine.", "Right, okay.", "Sure."],
    "survey_good": [
        "(Really|Very) helpful agent, sorted it (quickly|first time).",
        "{agent_first} was (lovely|brilliant|great), thank you.",
        "Quick and easy, (thanks|cheers).",
    ],
    "survey_bad": [
        "(Still|It's still) not (sorted|fixed).",
        "Had to (call|contact you) (again|three times). (Useless|Not good enough).",
        "(Waited ages|Long wait) and (nothing changed|no answer).",
    ],
    "survey_mid": ["It was okay.", "Fine I suppose.", "Got there in the end."],
}

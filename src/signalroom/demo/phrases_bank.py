"""Phrases of the banking, account and digital reasons.

Each reason has rules ``<id>.open`` (the customer says why), ``.detail``, ``.ask`` (the agent's
diagnostic question), ``.answer``, ``.fix`` (resolved), ``.nofix`` (not resolved) and ``.short``
(a one-line post or text message). ``app_update.*`` is the emerging issue's variant of app login.
"""

from __future__ import annotations

PHRASES: dict[str, list[str]] = {
    # -- cards --------------------------------------------------------------------------------------
    "card_declined_abroad.open": [
        "my {card} (keeps getting|was|has been) (declined|refused|rejected) {abroad}",
        "I'm (in|away in) {country} and (my|the) {card} (isn't working|won't work|keeps getting declined)",
        "I tried to (pay for|buy) (dinner|a taxi|the hotel|some shopping) in {country} and (the|my) "
        "{card} (got declined|was rejected|didn't go through)",
        "(the cash machine|an ATM) {abroad} (won't give me|refused to give me) any money",
        "I'm travelling (next week|at the moment) and my {card} (stopped working|is being blocked)",
    ],
    "card_declined_abroad.detail": [
        "It worked fine (at the airport|when I landed|yesterday) and now (nothing|every {charge} fails).",
        "I've got money in the account, (so I don't understand it|plenty of it).",
        "I'm (stuck|on my own) here and I need to (pay the hotel|get cash|get home).",
    ],
    "card_declined_abroad.ask": [
        "Did you get a text asking you to confirm (the|a) {charge}?",
        "Can you tell me (roughly )where and when you tried to use the {card}?",
    ],
    "card_declined_abroad.answer": [
        "(I think|Maybe) I got a text but I'm (on|using) a different SIM out here.",
        "About {amount} at a (restaurant|petrol station|supermarket) in {country}, (an hour ago|last night).",
    ],
    "card_declined_abroad.fix": [
        "I can see our fraud checks (stopped|blocked) it. I've (removed the block|confirmed it's you) "
        "and (noted|added) your travel, so the {card} will work now.",
        "There was a security block on the {card}. That's lifted now, (try it again|you should be fine).",
    ],
    "card_declined_abroad.nofix": [
        "The block is on the merchant's side, so I can't (remove|change) it from here. "
        "You could try (a different machine|paying another way).",
    ],
    "card_declined_abroad.short": [
        "(card|{card}) declined {abroad} AGAIN. stuck in {country} with no way to pay",
        "why does my {card} never work {abroad}",
    ],
    "lost_stolen_card.open": [
        "I've (lost|misplaced) my {card}",
        "my (purse|wallet|bag) (was|got) stolen {recently} with my {card} in it",
        "I can't find my {card} (anywhere|since {recently}) and I'm worried someone's got it",
        "I (think I )left my {card} in (a cash machine|a shop|a taxi) {recently}",
        "I need to (cancel|freeze|block) my {card}, it's (gone missing|been stolen)",
    ],
    "lost_stolen_card.detail": [
        "I've (looked|checked) everywhere.",
        "I don't think anything's been (taken|spent) but I'm not sure.",
        "I need a (new|replacement) one (quickly|before the weekend).",
    ],
    "lost_stolen_card.ask": [
        "When did you last use the {card}?",
        "Do you recognise (all|the last few) {charge}s on the account?",
    ],
    "lost_stolen_card.answer": [
        "(On|Just) {recently}, (at the supermarket|for petrol|for a coffee).",
        "(Yes|Yeah), they all look (fine|like mine).",
    ],
    "lost_stolen_card.fix": [
        "I've cancelled that {card} and ordered a replacement. It'll (arrive|be with you) in "
        "(three to five working days|a few days), and you can use the digital card in {app} until then.",
        "That {card} is now (blocked|cancelled) so nobody can use it, and a new one is on its way.",
    ],
    "lost_stolen_card.nofix": [
        "I've frozen the {card}, but I can't order the replacement until (we confirm|you update) your "
        "address, so you'll need to (call back|do that in {app}) first.",
    ],
    "lost_stolen_card.short": [
        "lost my {card}, how do I freeze it??",
        "wallet nicked {recently}, need my {card} cancelled",
    ],
    "dispute_transaction.open": [
        "there's a {charge} on my account (I don't recognise|that isn't mine) for {amount}",
        "I've been charged twice by {merchant}",
        "I (paid|ordered from) {merchant} and (never got the item|the goods never arrived), I want my money back",
        "{merchant} have (taken|charged me) {amount} (and|but) I cancelled (that|the subscription)",
        "I want to (dispute|challenge|query) a {charge} from {merchant}",
        "I (need|want) a refund (for|on) a {charge} from {merchant} (that I never authorised|I don't recognise)",
    ],
    "dispute_transaction.detail": [
        "(It went out|It was taken) {recently}.",
        "I've (contacted|emailed) {merchant} and they're (ignoring me|not answering).",
        "It's {amount}, which is a lot of money for me.",
    ],
    "dispute_transaction.ask": [
        "Have you been in touch with {merchant} (directly|yourself) about this?",
        "Can you confirm the date and the amount of the {charge}?",
    ],
    "dispute_transaction.answer": [
        "(Yes|Yeah), (twice|a few times), and (they|nobody) (haven't replied|won't help).",
        "It was {amount}, {recently}.",
    ],
    "dispute_transaction.fix": [
        "I've raised a (dispute|chargeback) for {amount} and (put a temporary credit|refunded it temporarily) "
        "on your account while we investigate.",
        "I can see it was (a duplicate|taken twice), so I've (reversed|refunded) the second {charge}.",
    ],
    "dispute_transaction.nofix": [
        "I've opened a dispute, but the merchant has (45 days|a few weeks) to respond, so I can't "
        "give you the money back today.",
    ],
    "dispute_transaction.short": [
        "{merchant} charged me twice and {company} won't help",
        "who do I talk to about a {charge} I don't recognise",
    ],
    "fraud_alert.open": [
        "I got a text (saying|asking if) (a|my) {charge} (was|is) (suspicious|genuine)",
        "(you've|someone has) blocked my {card} for (suspected|possible) fraud",
        "I think I've been (scammed|the victim of a scam)",
        "there are {charge}s on my account I (definitely )didn't make",
        "someone (called|rang) me pretending to be from {company} and I (gave them|told them) (my details|a code)",
    ],
    "fraud_alert.detail": [
        "I (didn't|never) authorise (that|any of it).",
        "(I'm|I am) really panicking about it.",
        "It says {amount} to {merchant}.",
    ],
    "fraud_alert.ask": [
        "Did you make a {charge} of {amount} to {merchant} {recently}?",
        "Have you shared any codes or passwords with anyone?",
    ],
    "fraud_alert.answer": [
        "(No, (never|that wasn't me)!|Yes, that one was me actually.)",
        "(Yes|Well), I (did give|might have given) them a code, (I'm so stupid|I didn't think).",
    ],
    "fraud_alert.fix": [
        "I've (blocked|cancelled) the {card}, stopped the {charge} and (ordered|sent) you a new one. "
        "The money will be (back|refunded) (shortly|within a few days).",
        "Thanks for confirming, I've (released|removed the block on) the {charge} and your {card} is working again.",
    ],
    "fraud_alert.nofix": [
        "I've (secured|locked) the account, but the fraud team (need|have) to review the claim, which can take "
        "up to (15 working days|a couple of weeks).",
    ],
    "fraud_alert.short": [
        "got a fraud text from {company}, is it real??",
        "money gone from my account that I didn't spend",
    ],
    # -- payments and lending -------------------------------------------------------------------
    "direct_debit_failed.open": [
        "my direct debit (bounced|failed|didn't go through) (this month|{recently})",
        "I got a letter saying (a|my) (direct debit|payment) (was returned|wasn't collected)",
        "(the|my) (standing order|direct debit) to my (landlord|energy company|gym) (didn't go out|failed)",
        "why (was|has) my direct debit (been )(rejected|cancelled)?",
    ],
    "direct_debit_failed.detail": [
        "There was money in the account, (I checked|I'm sure of it).",
        "Now they're (charging me a fee|saying I owe them).",
        "It's never happened before.",
    ],
    "direct_debit_failed.ask": [
        "Do you know (the name of the company|roughly what date) the payment was due?",
        "Have you changed (your bank details|accounts) recently?",
    ],
    "direct_debit_failed.answer": [
        "It was (due|meant to go out) on the (1st|15th|28th).",
        "(No|Not that I know of), nothing's changed.",
    ],
    "direct_debit_failed.fix": [
        "I can see the mandate was (cancelled by mistake|set up with the wrong reference). I've (reinstated it|"
        "fixed it) and (refunded|waived) the fee.",
        "It failed because of a (system problem|timing issue) on our side, I've (retried|re-presented) the payment.",
    ],
    "direct_debit_failed.nofix": [
        "The mandate was cancelled by the company, so you'll need to (contact them|ask them) to set it up again.",
    ],
    "direct_debit_failed.short": ["my direct debit failed and now I've got a late fee, thanks {company}"],
    "loan_overdraft.open": [
        "I (want|wanted) to (ask about|increase) my overdraft",
        "I've got a question about (my loan|the interest on my overdraft|borrowing)",
        "(can I|how do I) (borrow|get a loan for) (a car|some home improvements|{amount})",
        "(I've been|I was) charged interest on my overdraft and I (didn't expect|don't understand) it",
    ],
    "loan_overdraft.detail": [
        "I just want to (understand|know) what it'll cost me.",
        "I'm (a bit short|stretched) (this month|until payday).",
    ],
    "loan_overdraft.ask": [
        "How much (are you looking to borrow|would you like the limit to be)?",
        "Is it (a one-off|something you'll need every month)?",
    ],
    "loan_overdraft.answer": ["(About|Maybe) {amount}.", "Just (a one-off|this month) really."],
    "loan_overdraft.fix": [
        "I've (increased|updated) your overdraft limit, (it's live now|you'll see it in {app}).",
        "I've (sent|emailed) you a (quote|breakdown) for the loan, and you can apply in {app}.",
    ],
    "loan_overdraft.nofix": [
        "I'm afraid the application (wasn't approved|was declined) this time. You can (ask|try again) in "
        "(three|six) months.",
    ],
    "loan_overdraft.short": ["how do I increase my overdraft in {app}?"],
    "refund_status.open": [
        "I'm (still )waiting for (a|my) refund",
        "I was promised (a refund|a credit|my money back) and it (hasn't arrived|still isn't there)",
        "(where|what's happened to) my refund (for {amount}|from {recently})?",
        "you (said|told me) the (credit|refund) would (be back|go back on my account) (in five days|by now)",
        "I'm chasing (the|a) refund (for|on) my (account|bill)",
        "you said I'd get my money back (within a week|in five days) and it's still not (there|in my account)",
        "there's supposed to be a credit on my (account|bill) (from|since) {prev_when} and I can't see it",
        "I'm (still )waiting for the money you (owe me|promised me) {prev_when}",
    ],
    "refund_status.detail": [
        "It's been (over a week|two weeks|ages) now.",
        "I need that money (for|to pay) (rent|my bills).",
        "(Nobody|No one) (can tell me|seems to know) where it is.",
    ],
    "refund_status.ask": [
        "Do you have the (reference|date) for when the refund was (raised|agreed)?",
        "Was the refund (for a payment|for your bill|a goodwill credit)?",
    ],
    "refund_status.answer": [
        "(I don't have|I didn't get) a reference, (sorry|they never gave me one). (It was agreed|I was told|Someone promised it) {prev_when}.",
        "It was (around|about) {amount}, (for my bill|for a payment), (agreed|I think|from when I called) {prev_when}.",
    ],
    "refund_status.fix": [
        "I can see it was (stuck in|held by) our (approval queue|system). I've (pushed it through|released it), "
        "you'll see it (today|tomorrow).",
    ],
    "refund_status.nofix": [
        "I can see the refund (is pending|has been requested), but it (hasn't been approved yet|is still with "
        "the (refunds|billing) team). (It should be with you in|Please allow) {fix_wait}.",
        "I've (chased|escalated) it for you, and someone (will|should) (call you back|be in touch) "
        "(in|within) {fix_wait}.",
        "(Unfortunately|I'm afraid) I can't see (a reason|why) it's delayed. I've (raised|added) a note and "
        "it should (arrive|come through) (in|within) {fix_wait}.",
    ],
    "refund_status.short": [
        "still waiting on my refund from {company}. (every time I call I get a different answer|"
        "how long does it take??)",
    ],
    # -- account --------------------------------------------------------------------------------
    "close_account.open": [
        "I want to (close|shut) my account",
        "I (want|need) to cancel my (contract|broadband|phone contract)",
        "I'm (leaving|moving to another provider), can I have my PAC code?",
        "how do I (cancel|end) my (contract|account) with you?",
        "I'd like to (close|cancel) (everything|my account), I've had enough",
    ],
    "close_account.detail": [
        "(I've found|They're offering) a (cheaper|better) deal elsewhere.",
        "I'm moving abroad.",
        "Honestly after the last few months I just want out.",
    ],
    "close_account.ask": [
        "Can I ask why you're (thinking of leaving|looking to close the account)?",
        "Before I do that, (have you seen|can I tell you about) our (loyalty offers|latest deals)?",
    ],
    "close_account.answer": [
        "It's (mainly|just) the price, to be honest.",
        "(No|Not really), I've made my mind up.",
    ],
    "close_account.fix": [
        "(Okay|No problem), I've (started|processed) the (cancellation|closure). "
        "(You'll get a confirmation email|Your PAC code is on its way by text).",
        "I've (applied|added) a loyalty discount instead, so your bill will go down from next month.",
    ],
    "close_account.nofix": [
        "There's (still )a balance of {amount} on the account, so I can't close it until that's (paid|cleared).",
    ],
    "close_account.short": ["how do I cancel my contract with {company}? done with them"],
    "change_address.open": [
        "I've (moved house|moved) and need to (update|change) my address",
        "I need to (change|update) my (phone number|email address|address) on the account",
        "I got married and (want|need) to change my (name|surname) on the account",
        "my (statements|letters|bills) are still going to my old address",
    ],
    "change_address.detail": [
        "I moved (a month ago|{recently}).",
        "I tried to do it in {app} but I couldn't (find|see) where.",
    ],
    "change_address.ask": ["What's the new (address|postcode)?", "When did you move?"],
    "change_address.answer": ["It's {street}, {postcode}.", "(About|Just over) a (month|few weeks) ago."],
    "change_address.fix": [
        "(Lovely|Done), I've updated that for you. (All your letters will go to the new address.|"
        "You'll get a confirmation text.)",
    ],
    "change_address.nofix": [
        "For a name change I'll need to see (a copy of|your) marriage certificate, (you can upload it in "
        "{app}|please post it in).",
    ],
    "change_address.short": ["how do I change my address on {app}?"],
    # -- digital --------------------------------------------------------------------------------
    "app_login.open": [
        "I can't (log in|get into|sign in to) {app}",
        "{app} (keeps|just keeps) (logging me out|saying my details are wrong|freezing on the login screen)",
        "I'm (locked out of|stuck logging in to) {app}",
        "(my|the) (fingerprint|face) login (isn't working|doesn't work) (on|in) {app} (any more|now)",
        "I'm not getting the (code|text|one-time passcode) to log in to {app}",
    ],
    "app_login.detail": [
        "I've tried (reinstalling it|turning my phone off and on).",
        "I even tried to reset my password (but that didn't help|and it's the same).",
        "I need to (check my balance|make a payment|pay my bill) and I can't.",
        "It just (spins|hangs|goes back to the start).",
    ],
    "app_login.ask": [
        "What (phone|device) are you using?",
        "What (message|error) do you see when you try to log in?",
    ],
    "app_login.answer": [
        "I'm on my {device}.",
        "It (says|just says) 'something went wrong, (try again later|please try again)'.",
        "(It doesn't say anything|No error), it just (closes|goes blank).",
    ],
    "app_login.fix": [
        "I've (reset|unlocked) your (app access|login), (log out and back in|try again now) and it should work.",
        "I've (sent|re-sent) the (code|passcode) to your number, (it should arrive|you should have it) now.",
    ],
    "app_login.nofix": [
        "I've (raised|logged) it with our (digital|app) team, (in the meantime|for now) you can use "
        "online banking in a browser.",
    ],
    "app_login.short": ["{app} won't let me log in. again.", "can't get into {app}, no code arriving"],
    # the emerging issue: only said from the emergence date (see scenarios.EMERGING_MARKERS)
    "app_update.open": [
        "since the update {app} (keeps crashing|won't let me log in|just closes) when I (open it|try to sign in)",
        "I (installed|downloaded) the (latest update|new version of the app) and now I can't (log in|get past the "
        "face ID screen)",
        "the new version of the app (keeps logging me out|won't recognise my face|crashes straight away)",
        "ever since the update ({app_version}) my (fingerprint|face) login (doesn't work|keeps failing)",
    ],
    "app_update.detail": [
        "It was (fine|working perfectly) before the latest update.",
        "It says version {app_version}. It's been like this since the update.",
    ],
    "app_update.fix": [
        "We're aware of an issue with the latest update ({app_version}). I've (reset|switched) your login to "
        "passcode (only|for now) and that will get you in.",
    ],
    "app_update.nofix": [
        "We're aware of an issue with the latest update ({app_version}) and our app team are (working on|"
        "fixing) it. (Please use|You can use) online banking (for now|until the fix is out).",
    ],
    "app_update.short": [
        "since the update {app} just crashes. (sort it out|fix it) {company}",
        "new version of the app ({app_version}) won't log me in, anyone else?",
    ],
    "password_reset.open": [
        "I've forgotten my password (and|but) the reset (isn't working|doesn't work)",
        "I (need|want) to reset my (password|passcode) for online (banking|account access)",
        "the (forgotten|reset) password (link|page) (keeps failing|gives me an error|just says try again later)",
        "I've tried to reset my password (three times|several times|over and over) on the website and it "
        "(won't let me|fails every time)",
        "I never got the (password reset email|reset link) (I asked for|you sent)",
        "I've forgotten my password and (I can't|can't) get into (online banking|my online account)",
        "I'm locked out of my online account, I (can't remember|forgot) my password",
        "the website (won't accept|keeps rejecting) my password and the (forgotten password|'forgot password') "
        "page just (errors|goes round in circles)",
    ],
    "password_reset.detail": [
        "It just says (something went wrong|the link has expired).",
        "I've (tried|done it) on my (laptop|phone) and it's the same.",
        "I (need|just want) to get into my account.",
    ],
    "password_reset.ask": [
        "Are you (trying|resetting it) on the website or in {app}?",
        "Which email address did you (use|enter) for the reset?",
    ],
    "password_reset.answer": ["On the website, on my (laptop|computer).", "My (usual|main) email, {email}."],
    "password_reset.fix": [
        "I've sent you a (temporary password|new reset link) by text, (use that|it's valid for 30 minutes) "
        "and you'll be asked to choose a new one.",
        "I've (reset|cleared) it from here. You can log in with the code I've texted you.",
    ],
    "password_reset.nofix": [
        "I'm sorry, the (reset service|website reset) is (having problems|down) at the moment, "
        "please (try again later|try again tomorrow).",
    ],
    "password_reset.short": [
        "password reset on the website doesn't work, just errors",
        "forgot my password and the reset link is broken",
    ],
}

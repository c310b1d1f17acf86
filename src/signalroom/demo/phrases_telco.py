"""Phrases of the telco reasons, collections, complaints and the marketing campaign."""

from __future__ import annotations

PHRASES_TELCO: dict[str, list[str]] = {
    "bill_higher.open": [
        "my (bill|last bill|phone bill) is (a lot|way|much) higher than (usual|normal|I expected)",
        "why (is|has) my bill (gone up|so high) this month?",
        "I've been charged {amount} on my (bill|account) and I don't know what for",
        "I'd like a refund, my bill (jumped|went up) by {amount} (this month|for no reason)",
        "(there's|I can see) (a|an extra) {charge} on my bill I don't (understand|recognise)",
        "my (direct debit|monthly payment) (went up|was higher) (this month|{recently}) and nobody told me",
    ],
    "bill_higher.detail": [
        "It's normally (about|around) (£30|£45|£25) a month.",
        "I haven't (used anything different|changed anything).",
        "It's gone out of my account (already|by direct debit).",
    ],
    "bill_higher.ask": [
        "Before I go through the bill with you, have you changed anything on the account lately?",
        "Have you (added any extras|bought anything on the account|used premium numbers) recently?",
    ],
    "bill_higher.answer": [
        "(No|Not that I know of), nothing.",
        "(Maybe|I think) my (son|daughter) bought something?",
    ],
    "bill_higher.fix": [
        "I can see (the discount|your promotion) (ended|ran out) last month. I've (reapplied|put) a discount "
        "on and credited the difference.",
        "That's a (price rise|one-off charge) that shouldn't have been applied, I've (removed|refunded) it.",
    ],
    "bill_higher.nofix": [
        "That's the annual price rise, which is in your contract, so I'm not able to (remove|change) it.",
    ],
    "bill_higher.short": [
        "why has my {company} bill gone up by {amount}??",
        "bill doubled this month, no explanation",
    ],
    "roaming_charges.open": [
        "I've been charged for (roaming|using my phone) {abroad}",
        "I got a (huge|massive|big) bill after (my holiday|my trip) to {country}",
        "I thought roaming was (included|free) in {country}",
        "I want a refund for the roaming (charges|data) from my trip to {country}",
        "(there are|I've got) (data|roaming) charges of {amount} on my (bill|account)",
    ],
    "roaming_charges.detail": [
        "I (only|barely) used (maps|WhatsApp) a couple of times.",
        "Nobody (warned|texted) me about the cost.",
    ],
    "roaming_charges.ask": [
        "Which countries were you in, and on which dates?",
        "Did you get our roaming text when you arrived?",
    ],
    "roaming_charges.answer": [
        "{country}, for (a week|ten days|a long weekend).",
        "(I don't think so|No), I didn't see one.",
    ],
    "roaming_charges.fix": [
        "{country} should have been covered by your plan, so I've refunded the roaming {charge}s.",
        "As a one-off I've (credited|refunded) half of it and (added|set up) a roaming cap for next time.",
    ],
    "roaming_charges.nofix": [
        "{country} isn't in our roaming zone, so the charges are correct, I'm afraid.",
    ],
    "roaming_charges.short": ["{amount} in roaming charges from {country}?? this is daylight robbery"],
    "upgrade_plan.open": [
        "I'd like to upgrade my (phone|handset|plan)",
        "I'm (due an upgrade|out of contract) and (want|I'd like) a new phone",
        "can I (get|add) more data (to|on) my plan?",
        "I want to (change|switch) my (tariff|plan) to (something cheaper|unlimited data)",
    ],
    "upgrade_plan.detail": [
        "I'm (always|constantly) running out of data.",
        "I've (seen|had a look at) the (phones|deals) on your website.",
    ],
    "upgrade_plan.ask": [
        "How much data do you (use|get through) in a month?",
        "Are you (after|interested in) a new handset or (just|a) SIM only?",
    ],
    "upgrade_plan.answer": ["(Loads|Quite a lot), (maybe|about) 30 gig.", "(Just|Only) SIM only I think."],
    "upgrade_plan.fix": [
        "I've (moved you|upgraded you) to the unlimited plan, it starts (today|from your next bill).",
        "(Your|The) new phone is ordered and will (arrive|be delivered) (tomorrow|in two days).",
    ],
    "upgrade_plan.nofix": [
        "You're not (eligible|due) for an upgrade until {date}, (I'm afraid|unfortunately).",
    ],
    "upgrade_plan.short": ["can I upgrade early? @{company}"],
    # the marketing campaign: said by customers on the campaign days (see scenarios.CAMPAIGN)
    "campaign.mention": [
        "I got (your|an) (email|text) about the {campaign}",
        "I saw the {campaign} (advert|offer) (on TV|online|in your email)",
        "(Is|Is it) the {campaign} (still on|available for me)?",
    ],
    "broadband_outage.open": [
        "my (broadband|internet|wifi) (is down|isn't working|keeps dropping)",
        "(there's|we've got) no internet (at home|since {recently})",
        "the (router|hub) (light is (red|flashing orange)|keeps restarting)",
        "my broadband (is|has been) (really|so) slow (for days|all week)",
        "I work from home and (the|my) internet (has gone|keeps cutting out)",
    ],
    "broadband_outage.detail": [
        "I've (restarted|turned off and on) the (router|hub) (twice|loads of times).",
        "I can't work like this.",
        "(Nobody|No one) on the street has got it either.",
    ],
    "broadband_outage.ask": [
        "What colour is the light on the (hub|router)?",
        "Have you (tried|been able to try) a cable straight into the router?",
    ],
    "broadband_outage.answer": ["It's (red|orange|flashing).", "(Yes|Yeah), it's the same with a cable."],
    "broadband_outage.fix": [
        "I've run a line test and (reset|refreshed) the connection from here, (you should be|it's) back online now.",
        "There was a fault at the (exchange|cabinet) that's (just been fixed|now cleared).",
    ],
    "broadband_outage.nofix": [
        "There's a (known fault|network issue) in your area, the engineers estimate it'll be fixed (by "
        "tomorrow|within 48 hours).",
        "I need to book an engineer, (the first slot is|the earliest I've got is) {date}.",
    ],
    "broadband_outage.short": [
        "no broadband AGAIN @{company}. third time this month",
        "internet down since {recently}, any update?",
    ],
    "mobile_signal.open": [
        "I've got no (signal|service) on my phone",
        "my mobile data (isn't working|stopped working|is really slow)",
        "calls keep (dropping|cutting out) (at home|at work)",
        "my phone just says (SOS only|no service)",
    ],
    "mobile_signal.detail": [
        "It's been like this since {recently}.",
        "My (wife's|husband's) phone is on another network and it's fine.",
    ],
    "mobile_signal.ask": [
        "What's the postcode where you're having problems?",
        "Have you tried restarting the phone?",
    ],
    "mobile_signal.answer": ["It's {postcode}.", "Yes, (a few times|several times)."],
    "mobile_signal.fix": [
        "I've (refreshed|reset) your connection settings, restart the phone and you should have signal."
    ],
    "mobile_signal.nofix": ["There's (work|maintenance) on the mast near you, it should be (back|fixed) by {date}."],
    "mobile_signal.short": ["no signal in {postcode} since {recently}, what's going on @{company}"],
    "sim_activation.open": [
        "my new SIM (isn't working|won't activate)",
        "I (want|need) to (move|transfer|keep) my number from (my old|another) network",
        "I'm trying to set up an eSIM and it (won't|doesn't) work",
        "I've (put|got) the new SIM (in|through) but it says (invalid SIM|no service)",
    ],
    "sim_activation.detail": [
        "I've had it for (two|three) days now.",
        "I've got a PAC code from my old provider.",
    ],
    "sim_activation.ask": ["Can you read me the long number on the back of the SIM?", "What's the PAC code?"],
    "sim_activation.answer": [
        "It's 8944 (1|2|3)0 something... hang on.",
        "(Yes|Yeah), it's PAC (one|two) two three...",
    ],
    "sim_activation.fix": ["I've activated it (now|from here), give it (ten|twenty) minutes and restart the phone."],
    "sim_activation.nofix": [
        "The number transfer (is|was) (booked|scheduled) for {date}, so it won't work until then."
    ],
    "sim_activation.short": ["new SIM still not activated after (2|3) days @{company}"],
    "payment_arrangement.open": [
        "I (can't|won't be able to) pay (my bill|this month's payment) (this month|on time)",
        "I've missed a payment and (I'm worried|got a letter)",
        "I'm (struggling|having trouble) (with money|financially) at the moment",
        "can I (set up|arrange) a payment plan?",
    ],
    "payment_arrangement.detail": [
        "I've (lost my job|had my hours cut).",
        "I get paid on the (25th|last Friday of the month).",
    ],
    "payment_arrangement.ask": ["How much could you afford to pay each month?", "When is your next payday?"],
    "payment_arrangement.answer": ["Maybe (£20|£30|£50) a month.", "On the (25th|1st)."],
    "payment_arrangement.fix": [
        "I've set up a payment plan of (£20|£30|£50) a month and put a hold on (any|further) charges.",
        "I've moved your payment date to the (25th|1st) so it (lines up|fits) with your pay.",
    ],
    "payment_arrangement.nofix": [
        "I'll need to refer you to our financial support team, (they'll call you|expect a call) {fix_when}."
    ],
    "payment_arrangement.short": ["can't pay my bill this month, who do I speak to?"],
    "engineer_appointment.open": [
        "the engineer (didn't turn up|never came|was a no-show) (today|{recently})",
        "I (need|want) to (move|change|rebook) my engineer appointment",
        "when is (the|my) engineer (coming|booked)?",
        "I'm (still )waiting for (my|the) installation",
    ],
    "engineer_appointment.detail": ["I took the day off work for it.", "I waited in all (morning|day)."],
    "engineer_appointment.ask": [
        "Which days (are good|would suit you)?",
        "Is it morning or afternoon that works best?",
    ],
    "engineer_appointment.answer": ["(Any|Most) weekday (mornings|afternoons).", "Not Mondays."],
    "engineer_appointment.fix": [
        "I've booked the engineer for {date}, (morning|afternoon) slot, and added compensation."
    ],
    "engineer_appointment.nofix": [
        "I can't see any (free|available) slots right now, (we'll|I'll) (call|text) you {fix_when}."
    ],
    "engineer_appointment.short": ["engineer no-show AGAIN. took a day off for nothing @{company}"],
    "complaint.open": [
        "I want to make a (formal )complaint",
        "I'm (really )unhappy with (how|the way) I've been treated",
        "(I want|I'd like) to complain about (the|an) (agent|person) I spoke to {prev_when}",
        "(nobody|no one) has (called me back|sorted anything out) and I want to complain",
    ],
    "complaint.detail": [
        "I've (called|been in touch) (three|four) times.",
        "I was promised a call back that never came.",
    ],
    "complaint.ask": [
        "Can you tell me what happened (from the start|in your own words)?",
        "What would you like us to do to put this right?",
    ],
    "complaint.answer": [
        "I just want it (sorted|fixed) and an apology.",
        "I want some compensation, (honestly|frankly).",
    ],
    "complaint.fix": [
        "I've logged the complaint and (applied|added) a {amount} goodwill credit. (I'm sorry|Apologies) again."
    ],
    "complaint.nofix": [
        "I've logged your complaint (reference|number) and a (case handler|complaints manager) will (contact|"
        "call) you {fix_when}.",
    ],
    "complaint.short": ["worst customer service ever @{company}. (nobody calls back|nobody cares)"],
}

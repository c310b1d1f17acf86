"""The simulated company: its calendar, customers (with their identifiers), agents, teams, queues."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

DAY = 86_400

FIRST_NAMES = [
    "Amelia",
    "Olivia",
    "Isla",
    "Ava",
    "Mia",
    "Sophia",
    "Grace",
    "Lily",
    "Freya",
    "Emily",
    "Ella",
    "Poppy",
    "Chloe",
    "Evie",
    "Ruby",
    "Zara",
    "Aisha",
    "Priya",
    "Fatima",
    "Maya",
    "Hannah",
    "Niamh",
    "Siobhan",
    "Megan",
    "Rhiannon",
    "Chen",
    "Mei",
    "Ana",
    "Joanna",
    "Kasia",
    "Oliver",
    "George",
    "Harry",
    "Noah",
    "Jack",
    "Leo",
    "Arthur",
    "Oscar",
    "Charlie",
    "Jacob",
    "Thomas",
    "James",
    "William",
    "Mohammed",
    "Ali",
    "Omar",
    "Arjun",
    "Ravi",
    "Daniel",
    "Callum",
    "Euan",
    "Rhys",
    "Dylan",
    "Liam",
    "Sean",
    "Kofi",
    "Tunde",
    "Marek",
    "Tomasz",
    "Luca",
    "Mateo",
    "Samuel",
    "Joseph",
    "Ethan",
    "Adam",
    "David",
    "Michael",
    "Peter",
    "Susan",
    "Margaret",
    "Linda",
    "Carol",
    "Janet",
    "Brenda",
    "Graham",
    "Keith",
    "Colin",
    "Derek",
    "Trevor",
    "Pauline",
    "Yvonne",
]
LAST_NAMES = [
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Robinson",
    "Wright",
    "Thompson",
    "Evans",
    "Walker",
    "White",
    "Roberts",
    "Green",
    "Hall",
    "Wood",
    "Jackson",
    "Clarke",
    "Patel",
    "Khan",
    "Ahmed",
    "Singh",
    "Hussain",
    "Begum",
    "Lewis",
    "Harris",
    "Martin",
    "Cooper",
    "King",
    "Lee",
    "Baker",
    "Morgan",
    "Hughes",
    "Edwards",
    "Hill",
    "Moore",
    "Clark",
    "Harrison",
    "Scott",
    "Young",
    "Morris",
    "Ward",
    "Turner",
    "Campbell",
    "MacDonald",
    "Murray",
    "Reid",
    "Fraser",
    "Kowalski",
    "Nowak",
    "Okafor",
    "Mensah",
    "Osei",
    "Chen",
    "Wong",
    "Nguyen",
    "Silva",
    "Costa",
    "Rossi",
    "Byrne",
    "Murphy",
    "Kelly",
    "O'Brien",
    "Doherty",
    "Gallagher",
    "Price",
    "Lloyd",
    "Powell",
    "Bennett",
    "Fletcher",
    "Holmes",
    "Shaw",
]
STREETS = [
    "High Street",
    "Station Road",
    "Church Lane",
    "Victoria Road",
    "Park Avenue",
    "Mill Lane",
    "Queens Road",
    "Kings Road",
    "Manor Close",
    "Orchard Way",
    "Riverside Drive",
    "Chapel Street",
    "Meadow View",
    "The Crescent",
    "Harbour Row",
]
POST_AREAS = ("LS", "M", "B", "G", "EH", "CF", "BS", "NE", "L", "S", "NG", "SO", "BT", "AB", "N", "SE", "E")
EMAIL_DOMAINS = ("example.com", "example.net", "example.org", "mail.example", "post.example")
WORK_DOMAINS = ("work.example", "corp.example", "nhs.example", "school.example")
SEGMENTS = (
    ("everyday", 0.55),
    ("premier", 0.1),
    ("student", 0.12),
    ("young_family", 0.13),
    ("small_business", 0.1),
)


def last_sunday(year: int, month: int) -> dt.date:
    day = dt.date(year, month + 1, 1) - dt.timedelta(days=1) if month < 12 else dt.date(year, 12, 31)
    return day - dt.timedelta(days=(day.weekday() + 1) % 7)


def uk_offset(day: dt.date) -> str:
    """The Europe/London offset in the daytime: +01:00 in summer time, else +00:00."""
    start, end = last_sunday(day.year, 3), last_sunday(day.year, 10)
    return "+01:00" if start <= day < end else "+00:00"


class Clock:
    """Local seconds since the period's first midnight, formatted as RFC 3339 with the day's offset."""

    def __init__(self, start: dt.date, days: int) -> None:
        self.start = start
        self.days = days
        span = days + 40  # email replies and late surveys run past the end
        dates = [start + dt.timedelta(days=i) for i in range(-10, span)]
        self._prefix = [d.isoformat() + "T" for d in dates]
        self._offset = [uk_offset(d) for d in dates]
        self.weekday = [d.weekday() for d in dates]
        self._shift = 10

    def date(self, day: int) -> dt.date:
        return self.start + dt.timedelta(days=day)

    def iso(self, t: float) -> str:
        s = int(t)
        d, r = divmod(s, DAY)
        i = d + self._shift
        h, r = divmod(r, 3600)
        m, sec = divmod(r, 60)
        return f"{self._prefix[i]}{h:02d}:{m:02d}:{sec:02d}{self._offset[i]}"

    def day_of(self, t: float) -> int:
        return int(t) // DAY

    def weekday_of(self, day: int) -> int:
        return self.weekday[day + self._shift]


@dataclass
class Customer:
    id: str
    first: str
    last: str
    segment: str
    products: str  # bank, telco or both
    phone: str
    alt_phone: str | None
    email: str
    alt_email: str | None
    handle: str | None
    accounts: list[str]
    dob: str
    postcode: str
    street: str
    digital: float  # how likely they self-serve and use app/chat
    temper: float  # baseline mood, -0.5..0.5
    survey_taker: float  # personal inclination to answer surveys
    linked: dict[str, bool] = field(default_factory=dict)  # which identifiers the profile lists
    profile_phone_format: str = "e164"

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"


def _phone(rng: random.Random) -> str:
    return f"+447{rng.randrange(100, 999)}{rng.randrange(100000, 999999)}"


def national(phone: str) -> str:
    """+447911123456 as 07911 123456, the way many CRM records hold it."""
    digits = "0" + phone[3:]
    return f"{digits[:5]} {digits[5:]}"


def _weighted(rng: random.Random, pairs: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([p[0] for p in pairs], [p[1] for p in pairs])[0]


def make_customers(rng: random.Random, count: int) -> list[Customer]:
    customers = []
    for i in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        products = rng.choices(("bank", "telco", "both"), (0.35, 0.35, 0.3))[0]
        clean = last.lower().replace("'", "")
        email = f"{first.lower()}.{clean}{rng.randrange(1, 999)}@{rng.choice(EMAIL_DOMAINS)}"
        alt_email = f"{first[0].lower()}{clean}@{rng.choice(WORK_DOMAINS)}" if rng.random() < 0.2 else None
        handle = (
            f"@{first.lower()}{rng.choice(('_', '', '.'))}{clean[:6]}{rng.randrange(1, 99)}"
            if (rng.random() < 0.35)
            else None
        )
        accounts = []
        if products in ("bank", "both"):
            accounts.append(f"ACC{rng.randrange(10_000_000, 99_999_999)}")
        if products in ("telco", "both"):
            accounts.append(f"TEL-{rng.randrange(100_000, 999_999)}")
        area = rng.choice(POST_AREAS)
        postcode = (
            f"{area}{rng.randrange(1, 20)} {rng.randrange(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
            f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
        )
        customer = Customer(
            id=f"C{i + 1:06d}",
            first=first,
            last=last,
            segment=_weighted(rng, SEGMENTS),
            products=products,
            phone=_phone(rng),
            alt_phone=_phone(rng) if rng.random() < 0.25 else None,
            email=email,
            alt_email=alt_email,
            handle=handle,
            accounts=accounts,
            dob=f"{rng.randrange(1, 28)} {rng.choice(('January', 'March', 'May', 'July', 'September', 'November', 'February', 'October'))} {rng.randrange(1942, 2005)}",
            postcode=postcode,
            street=f"{rng.randrange(1, 180)} {rng.choice(STREETS)}",
            digital=min(0.95, max(0.05, rng.gauss(0.55, 0.22))),
            temper=max(-0.6, min(0.5, rng.gauss(0.0, 0.22))),
            survey_taker=rng.random(),
            profile_phone_format="national" if rng.random() < 0.3 else "e164",
        )
        # Only some identifiers are linked in the profile: identity stitching is needed later.
        customer.linked = {
            "phone": rng.random() < 0.8,
            "alt_phone": False,
            "email": rng.random() < 0.85,
            "alt_email": False,
            "handle": handle is not None and rng.random() < 0.3,
            "accounts": True,
        }
        customers.append(customer)
    return customers


def customer_record(c: Customer) -> dict[str, object]:
    phones = []
    if c.linked["phone"]:
        phones.append(national(c.phone) if c.profile_phone_format == "national" else c.phone)
    rec: dict[str, object] = {
        "kind": "customer",
        "id": c.id,
        "name": c.name,
        "emails": [c.email] if c.linked["email"] else [],
        "phones": phones,
        "handles": [c.handle] if c.linked["handle"] and c.handle else [],
        "accounts": list(c.accounts),
        "segment": c.segment,
        "value": round(120 + 900 * (c.segment == "premier") + 400 * (c.products == "both") + 37.5 * len(c.last), 2),
        "attributes": {"products": c.products, "region": c.postcode.split(" ")[0].rstrip("0123456789")},
    }
    return rec


# -- agents, teams, queues -----------------------------------------------------------------------

QUEUES = {
    "cards": "Cards",
    "disputes": "Disputes",
    "fraud": "Fraud",
    "payments": "Payments",
    "lending": "Lending",
    "billing": "Billing",
    "retention": "Retention",
    "general": "Customer Service",
    "digital": "Digital Support",
    "sales": "Sales",
    "technical": "Technical Support",
    "collections": "Financial Support",
    "complaints": "Complaints",
}

# name, site, queues served, habits: handle-time factor, empathy rate, hold rate, resolution skill
TEAMS = (
    ("Kestrel", "Leeds", ("cards", "fraud", "disputes", "general"), 0.85, 0.2, 0.25, -0.02),
    ("Heron", "Leeds", ("billing", "payments", "collections", "general"), 1.05, 0.55, 0.3, 0.04),
    ("Puffin", "Glasgow", ("technical", "digital", "general"), 1.2, 0.4, 0.45, 0.0),
    ("Osprey", "Glasgow", ("sales", "retention", "billing", "lending"), 0.95, 0.65, 0.2, 0.06),
    (
        "Wren",
        "Cardiff",
        ("complaints", "disputes", "retention", "payments", "digital"),
        1.15,
        0.75,
        0.35,
        0.05,
    ),
    ("Merlin", "Cardiff", ("cards", "billing", "technical", "general", "collections"), 0.9, 0.3, 0.3, -0.06),
)


@dataclass
class Agent:
    id: str
    first: str
    last: str
    team: str
    site: str
    queues: tuple[str, ...]
    aht: float
    empathy: float
    hold: float
    skill: float
    skip_disclosure: float
    small_talk: float

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"

    def ref(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name, "team": self.team, "site": self.site}

    def to_dict(self) -> dict[str, object]:
        return {
            **self.ref(),
            "queues": list(self.queues),
            "habits": {
                "handle_time_factor": round(self.aht, 3),
                "empathy_rate": round(self.empathy, 3),
                "hold_rate": round(self.hold, 3),
                "resolution_skill": round(self.skill, 3),
                "disclosure_skip_rate": round(self.skip_disclosure, 3),
                "small_talk_rate": round(self.small_talk, 3),
            },
        }


def make_agents(rng: random.Random, count: int, skip_ids: int) -> list[Agent]:
    """Agents spread over the teams; ``skip_ids`` of them (in Kestrel and Merlin) skip the disclosure."""
    agents = []
    for i in range(count):
        team, site, queues, aht, empathy, hold, skill = TEAMS[i % len(TEAMS)]
        agents.append(
            Agent(
                id=f"A{i + 1:04d}",
                first=rng.choice(FIRST_NAMES),
                last=rng.choice(LAST_NAMES),
                team=team,
                site=site,
                queues=queues,
                aht=max(0.6, rng.gauss(aht, 0.12)),
                empathy=min(0.95, max(0.02, rng.gauss(empathy, 0.12))),
                hold=min(0.8, max(0.02, rng.gauss(hold, 0.08))),
                skill=rng.gauss(skill, 0.05),
                skip_disclosure=0.02,
                small_talk=min(0.6, max(0.0, rng.gauss(0.2, 0.1))),
            )
        )
    # The disclosure skippers: agents of the fast Kestrel and Merlin teams.
    candidates = [a for a in agents if a.team in ("Kestrel", "Merlin")]
    for agent in candidates[:skip_ids]:
        agent.skip_disclosure = round(rng.uniform(0.55, 0.75), 3)
    return agents

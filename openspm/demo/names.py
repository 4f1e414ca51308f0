"""Small built-in word lists: people, companies, regions and countries of the demo company."""

from __future__ import annotations

from dataclasses import dataclass

COMPANY = "Northwind Analytics"
EMAIL_DOMAIN = "northwind-analytics.com"

FIRST_NAMES: tuple[str, ...] = (
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
    "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah",
    "Daniel", "Karen", "Matthew", "Lisa", "Anthony", "Nancy", "Mark", "Emily", "Steven", "Ashley",
    "Andrew", "Michelle", "Joshua", "Amanda", "Kevin", "Melissa", "Brian", "Laura", "Lukas",
    "Sophie", "Maximilian", "Hannah", "Jonas", "Lena", "Louis", "Camille", "Hugo", "Chloé",
    "Lucas", "Léa", "Daan", "Emma", "Sem", "Julia", "Pablo", "Lucía", "Alejandro", "Marta",
    "Matteo", "Giulia", "Oliver", "Amelia", "Harry", "Isla", "George", "Ava", "Jack", "Freya",
    "Conor", "Aoife", "Liam", "Niamh", "Kenji", "Yuki", "Wei", "Mei", "Arjun", "Priya", "Ethan",
    "Zoe", "Noah", "Chloe", "Mateo", "Valentina", "Samuel", "Grace", "Omar", "Leila", "Tomás",
    "Inès", "Björn", "Astrid",
)  # fmt: skip

LAST_NAMES: tuple[str, ...] = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson",
    "Martin", "Lee", "Thompson", "White", "Harris", "Clark", "Lewis", "Walker", "Hall", "Young",
    "Allen", "King", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson", "Müller", "Schmidt",
    "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Dubois", "Bernard", "Moreau",
    "Laurent", "Lefèvre", "Girard", "de Jong", "Jansen", "de Vries", "van Dijk", "Bakker",
    "Fernández", "González", "Sánchez", "Romero", "Rossi", "Russo", "Ferrari", "Esposito",
    "O'Brien", "Murphy", "Kelly", "Walsh", "Byrne", "Evans", "Roberts", "Hughes", "Edwards",
    "Patel", "Singh", "Tanaka", "Suzuki", "Sato", "Chen", "Wang", "Tan", "Lim", "Nguyen",
    "Kowalski", "Nowak", "Johansson", "Larsen", "Novak", "Costa", "Silva", "Haddad",
)  # fmt: skip

COMPANY_FIRST: tuple[str, ...] = (
    "Atlas", "Blue Harbor", "Summit", "Pioneer", "Crescent", "Evergreen", "Northstar", "Granite",
    "Silverline", "Redwood", "Keystone", "Bright Path", "Ironwood", "Lakeside", "Maple", "Orion",
    "Polaris", "Quantum", "Riverbend", "Sapphire", "Trident", "Vanguard", "Westfield", "Zenith",
    "Alpine", "Beacon", "Cedar", "Delta", "Eastgate", "Falcon", "Golden Gate", "Horizon",
    "Juniper", "Kestrel", "Lighthouse", "Meridian", "Nordlicht", "Oakridge", "Pinnacle",
    "Rheinland", "Sterling", "Tidewater", "Unity", "Vertex", "Windmill", "Yellowstone", "Müller &",
    "Château", "Solaris", "Fjord", "Kingfisher", "Harbourside", "Sakura", "Coral Bay", "Boreal",
    "Cobalt", "Emerald", "Highland", "Liberty", "Monarch",
)  # fmt: skip

COMPANY_SECOND: tuple[str, ...] = (
    "Logistics", "Health", "Foods", "Bank", "Energy", "Retail", "Systems", "Labs", "Insurance",
    "Manufacturing", "Media", "Pharma", "Telecom", "Capital", "Analytics", "Software", "Freight",
    "Hospitality", "Motors", "Biotech", "Foods Group", "Outdoor", "Robotics", "Mining", "Airlines",
    "Partners", "Solutions", "Holdings", "Brewing", "Textiles", "Consulting", "Devices",
    "Networks", "Clinics", "Learning", "Utilities", "Payments", "Marine", "Apparel", "Chemicals",
)  # fmt: skip

INDUSTRIES: tuple[str, ...] = (
    "Financial Services", "Healthcare", "Retail", "Manufacturing", "Technology", "Media",
    "Energy", "Logistics", "Public Sector", "Education", "Telecommunications", "Hospitality",
)  # fmt: skip

SEGMENTS: tuple[str, ...] = ("Enterprise", "Mid-Market", "SMB")

OPEN_STAGES: tuple[str, ...] = ("prospecting", "qualification", "proposal", "negotiation")
STAGES: tuple[str, ...] = (*OPEN_STAGES, "closed_won", "closed_lost")
STAGE_PROBABILITY: tuple[int, ...] = (10, 20, 50, 75, 100, 0)

DEAL_TYPES: tuple[str, ...] = ("new_business", "expansion", "renewal")
CURRENCIES: tuple[str, ...] = ("USD", "EUR", "GBP")

# Legal-form suffix of an account by country (a few carry a comma, exercising CSV quoting).
COUNTRY_SUFFIX: dict[str, tuple[str, ...]] = {
    "US": ("Inc.", "LLC", "Corp.", ", Inc."),
    "CA": ("Inc.", "Ltd."),
    "DE": ("GmbH", "AG", "GmbH & Co. KG"),
    "FR": ("SAS", "SA"),
    "NL": ("B.V.", "N.V."),
    "ES": ("S.L.", "S.A."),
    "IT": ("S.p.A.", "S.r.l."),
    "BE": ("NV", "SRL"),
    "GB": ("Ltd", "plc", "Limited"),
    "IE": ("Ltd", "DAC"),
    "AU": ("Pty Ltd",),
    "SG": ("Pte. Ltd.",),
    "JP": ("K.K.", "Co., Ltd."),
}

COUNTRY_CURRENCY: dict[str, str] = {
    "US": "USD", "CA": "USD", "AU": "USD", "SG": "USD", "JP": "USD", "GB": "GBP",
    "DE": "EUR", "FR": "EUR", "NL": "EUR", "ES": "EUR", "IT": "EUR", "BE": "EUR", "IE": "EUR",
}  # fmt: skip


@dataclass(frozen=True)
class Region:
    """A sales region: its plan currency, where its staff sit and where its accounts are."""

    code: str
    name: str
    currency: str
    weight: float  # share of the sales force
    staff_countries: tuple[tuple[str, float], ...]
    account_countries: tuple[tuple[str, float], ...]
    plan_suffix: str  # "" for USD plans, "-EMEA" for EUR, "-UKI" for GBP


REGIONS: tuple[Region, ...] = (
    Region("AMER", "Americas", "USD", 0.45, (("US", 0.85), ("CA", 0.15)),
           (("US", 0.85), ("CA", 0.15)), ""),
    Region("EMEA", "EMEA", "EUR", 0.25, (("DE", 0.4), ("FR", 0.3), ("NL", 0.2), ("ES", 0.1)),
           (("DE", 0.3), ("FR", 0.25), ("NL", 0.15), ("ES", 0.12), ("IT", 0.1), ("BE", 0.08)),
           "-EMEA"),
    Region("UKI", "UK & Ireland", "GBP", 0.15, (("GB", 1.0),), (("GB", 0.8), ("IE", 0.2)), "-UKI"),
    Region("APAC", "APAC", "USD", 0.15, (("AU", 0.6), ("SG", 0.4)),
           (("AU", 0.45), ("SG", 0.3), ("JP", 0.25)), ""),
)  # fmt: skip

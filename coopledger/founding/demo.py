r"""A synthetic cooperative: a playground for newcomers and data for the benchmarks.

`demo_files(spec)` returns, deterministically for `spec.seed`, every file of a
cooperative as `(path, text)` pairs: rules.yaml, members.yaml, the journal's
top files, then one file per month and payer, month after month, so that a
million trades never have to sit in memory at once. The texts are made by the
very functions the commands use (`scaffold.cooperative_files`,
`members.render_member`, `journal.format_trade`, `journal.entry_path`), so the
files are exactly what `coopledger member add` and `coopledger trade` write.

    >>> files = dict(demo_files(DemoSpec(members=5, months=1, trades=3, seed=7)))
    >>> [name for name in files if name.startswith("journal/20")]
    ['journal/2026/11/claire.beancount', 'journal/2026/11/hugo.beancount']
    >>> print(*files["journal/2026/11/claire.beancount"].splitlines()[:4], sep="\n")
    2026-11-02 * "tricot: écharpe"
      trade: "2026-11-02-5f557203"
      Assets:Members:Claire          -33.00 SEL
      Assets:Members:Paul-g           33.00 SEL

What it looks like: French-looking persons ("Hélène Dupré") and a few
businesses ("Boulangerie du Port") of a SEL; skewed activity (a few members
trade a lot, most a little: Zipf-like weights); memos and categories that go
with what the payee offers ("pain, novembre", "cours de guitare"); some members
joining during the period; with `invoices`, open invoices between members (they
move no balance, see `coopledger.model.invoices`) for `clear` to work on. Every trade
keeps both members within their floor and ceiling after it, so the balance at
the end of every day is within the limits too (the rule `checks.check_limits`
applies), and the total is zero.
"""

from __future__ import annotations

import bisect
import datetime
import heapq
import random
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from coopledger.founding.scaffold import cooperative_files
from coopledger.model.invoices import Invoice, format_invoice
from coopledger.model.journal import Trade, entry_path, format_trade
from coopledger.model.limits import ceiling_at, floor_at
from coopledger.model.members import MEMBERS_FILE, Member, render_member
from coopledger.model.rules import RULES_FILE, Rules, parse_rules
from coopledger.model.timeline import Timeline
from coopledger.model.yamlfile import quote
from coopledger.storage import journal_text

DEFAULT_UNTIL = datetime.date(2026, 11, 20)
TREASURER = ("claire", "Claire Petit", "claire@example.org")
DECIMALS = 2
CENTS = 10**DECIMALS
BUSINESS_SHARE = 0.15
LATE_JOINER_SHARE = 0.15
ZIPF_EXPONENT = 1.0

MONTHS_FR = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip

CATEGORIES = (
    "alimentation",
    "cours",
    "réparations",
    "jardinage",
    "bricolage",
    "garde d'enfants",
    "transport",
    "artisanat",
    "services",
    "entre entreprises",
)

# What a member offers: (memo, category, lowest and highest price in units);
# "{mois}" becomes the month's French name.
Offer = tuple[str, str, int, int]

PERSON_OFFERS: tuple[Offer, ...] = (
    ("cours de guitare", "cours", 15, 40),
    ("cours de piano", "cours", 15, 40),
    ("soutien scolaire, maths", "cours", 10, 30),
    ("conversation en anglais", "cours", 10, 25),
    ("initiation à l'informatique", "cours", 10, 30),
    ("réparation vélo", "réparations", 8, 45),
    ("retouches couture", "réparations", 5, 30),
    ("réparation d'un grille-pain", "réparations", 5, 20),
    ("tonte de la pelouse", "jardinage", 10, 35),
    ("taille de la haie", "jardinage", 15, 50),
    ("plants de tomates", "jardinage", 3, 15),
    ("montage d'étagères", "bricolage", 10, 40),
    ("peinture d'une chambre", "bricolage", 40, 150),
    ("garde d'enfants, {mois}", "garde d'enfants", 10, 45),
    ("baby-sitting samedi soir", "garde d'enfants", 10, 30),
    ("covoiturage au marché", "transport", 2, 10),
    ("déménagement, coup de main", "transport", 20, 80),
    ("confitures maison", "alimentation", 3, 12),
    ("pain au levain", "alimentation", 3, 10),
    ("gâteau d'anniversaire", "alimentation", 8, 25),
    ("tricot: écharpe", "artisanat", 15, 45),
    ("poterie: bol", "artisanat", 8, 30),
    ("promenade du chien", "services", 5, 15),
    ("arrosage des plantes, {mois}", "services", 5, 20),
    ("aide administrative", "services", 10, 35),
    ("coupe de cheveux", "services", 8, 20),
)

# What each kind of business sells: (memo, category, lowest, highest price).
BUSINESS_OFFERS: dict[str, tuple[Offer, ...]] = {
    "Boulangerie": (
        ("pain, {mois}", "alimentation", 3, 15),
        ("viennoiseries", "alimentation", 4, 12),
    ),
    "Épicerie": (
        ("épicerie, {mois}", "alimentation", 10, 60),
        ("panier de légumes", "alimentation", 12, 30),
    ),
    "Café": (
        ("café et croissant", "alimentation", 3, 8),
        ("repas du midi", "alimentation", 10, 22),
    ),
    "Atelier vélo": (
        ("réparation vélo", "réparations", 10, 60),
        ("révision vélo, {mois}", "réparations", 20, 45),
    ),
    "Librairie": (
        ("livres", "artisanat", 8, 40),
        ("carte de vœux", "artisanat", 2, 6),
    ),
    "Ferme": (
        ("panier de légumes, {mois}", "alimentation", 12, 35),
        ("œufs et fromage", "alimentation", 5, 20),
    ),
    "Fromagerie": (
        ("fromages", "alimentation", 6, 30),
        ("plateau de fromages", "alimentation", 20, 60),
    ),
    "Garage solidaire": (
        ("vidange", "réparations", 40, 120),
        ("réparation voiture", "réparations", 60, 300),
    ),
    "Couture": (
        ("ourlets", "réparations", 5, 20),
        ("robe sur mesure", "artisanat", 60, 200),
    ),
    "Menuiserie": (
        ("étagère sur mesure", "bricolage", 40, 250),
        ("réparation de chaise", "bricolage", 15, 60),
    ),
}
BUSINESS_KINDS = tuple(BUSINESS_OFFERS)
BUSINESS_PLACES = (
    "du Port", "des Écluses", "du Canal", "de la Gare", "Saint-Martin",
    "des Tilleuls", "du Marché", "de la Halle", "des Saules", "du Moulin",
)  # fmt: skip
BETWEEN_BUSINESSES = (
    ("livraison, {mois}", 40, 300),
    ("fournitures", 30, 400),
    ("entretien de la vitrine", 50, 200),
    ("impression des affiches", 30, 150),
)

FIRST_NAMES = (
    "Hélène", "Léa", "Chloé", "Manon", "Camille", "Inès", "Zoé", "Élodie", "Margaux",
    "Océane", "Anaïs", "Juliette", "Amélie", "Noémie", "Sophie", "Nathalie", "Isabelle",
    "Françoise", "Brigitte", "Mathilde", "Agnès", "Cécile", "Louise", "Jeanne", "Rose",
    "Lucas", "Hugo", "Théo", "Nathan", "Louis", "Mathéo", "Jules", "Gabriel", "Raphaël",
    "Arthur", "Noé", "Étienne", "Jérôme", "Frédéric", "François", "Benoît", "Rémi",
    "Grégoire", "Thierry", "Pascal", "Olivier", "Yannick", "Loïc", "Gaël", "Hervé",
    "Jean-Luc", "Marc", "Paul", "Denis", "Mehdi", "Karim", "Yasmine", "Fatou", "Aïcha",
)  # fmt: skip
SURNAMES = (
    "Dupré", "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit",
    "Durand", "Leroy", "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia",
    "David", "Bertrand", "Roux", "Vincent", "Fournier", "Morel", "Girard", "André",
    "Lefebvre", "Mercier", "Dupont", "Lambert", "Bonnet", "François", "Martinez",
    "Legrand", "Garnier", "Faure", "Rousseau", "Blanc", "Guérin", "Muller", "Henry",
    "Roussel", "Nicolas", "Perrin", "Morin", "Mathieu", "Clément", "Gauthier", "Dumont",
    "Lopez", "Fontaine", "Chevalier", "Robin", "Masson", "Sanchez", "Gérard", "Nguyen",
    "Boyer", "Denis", "Lemaire", "Duval", "Joly", "Gautier", "Roger", "Roche", "Le Goff",
    "Kerjean", "Benali", "Diallo", "Ménard", "Brunet", "Écuyer",
)  # fmt: skip


@dataclass(frozen=True)
class DemoSpec:
    """What to generate. `months` count back from the month of `until`."""

    members: int = 25
    months: int = 6
    trades: int = 360
    invoices: int = 0
    seed: int = 1
    until: datetime.date = DEFAULT_UNTIL
    name: str = "SEL du Canal"
    currency: str = "SEL"
    currency_name: str = "grain de sel"
    currency_plural: str = "grains de sel"

    @property
    def start(self) -> datetime.date:
        """The first day of the period: the first of the first month."""
        index = self.until.year * 12 + self.until.month - 1 - (self.months - 1)
        return datetime.date(index // 12, index % 12 + 1, 1)


@dataclass
class _Person:
    """A member being generated, with what the generator tracks for it."""

    member: Member
    floor: int  # in cents
    ceiling: int
    offers: tuple[Offer, ...]
    is_business: bool
    balance: int = 0


def slug(text: str) -> str:
    """A member id from a name: 'Hélène Dupré' -> 'helene-dupre'."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    cleaned = "".join(c if c.isalnum() else "-" for c in plain)
    return "-".join(part for part in cleaned.split("-") if part)[:36].strip("-") or "membre"


def _unique_id(candidates: list[str], taken: set[str]) -> str:
    for candidate in candidates:
        if candidate not in taken:
            taken.add(candidate)
            return candidate
    base, number = candidates[-1], 2
    while f"{base}-{number}" in taken:
        number += 1
    taken.add(f"{base}-{number}")
    return f"{base}-{number}"


def rules_text(spec: DemoSpec) -> str:
    """rules.yaml as `coopledger init` writes it, with the demo's categories."""
    files = cooperative_files(
        spec.name, spec.currency, spec.currency_name, spec.start, None, DECIMALS
    )
    text = files[RULES_FILE]
    listed = "".join(f"  - {quote(c)}\n" for c in CATEGORIES)
    assert "categories: []\n" in text, "scaffold's rules.yaml changed"
    named = f"currency_name: {quote(spec.currency_name)}\n"
    assert named in text, "scaffold's rules.yaml changed"
    plural = f"currency_plural: {quote(spec.currency_plural)}\n"
    return text.replace(named, named + plural).replace("categories: []\n", "categories:\n" + listed)


def _rules(spec: DemoSpec) -> tuple[str, Rules]:
    text = rules_text(spec)
    rules, problems = parse_rules(text)
    assert rules is not None, problems
    return text, rules


def _make_members(spec: DemoSpec, rng: random.Random, rules: Rules) -> list[_Person]:
    """The treasurer first, then everyone in the order they joined."""
    founded = spec.start - datetime.timedelta(days=rng.randint(400, 1500))
    before = (spec.start - founded).days
    period_days = (spec.until - spec.start).days + 1
    taken: set[str] = {TREASURER[0]}
    business_count = round(spec.members * BUSINESS_SHARE) if spec.members >= 4 else 0
    kinds = ["business"] * business_count + ["person"] * (spec.members - 1 - business_count)
    rng.shuffle(kinds)
    drafts: list[tuple[datetime.date, str, str, str, tuple[Offer, ...]]] = []
    for number, kind in enumerate(kinds):
        if number > 1 and rng.random() < LATE_JOINER_SHARE:
            joined = spec.start + datetime.timedelta(days=rng.randrange(period_days))
        else:
            joined = founded + datetime.timedelta(days=rng.randrange(before))
        if kind == "business":
            trade = BUSINESS_KINDS[rng.randrange(len(BUSINESS_KINDS))]
            name = f"{trade} {rng.choice(BUSINESS_PLACES)}"
            member_id = _unique_id([slug(name)], taken)
            offers = BUSINESS_OFFERS[trade]
        else:
            first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
            name = f"{first} {last}"
            member_id = _unique_id(
                [slug(first), f"{slug(first)}-{slug(last)[:1]}", slug(name)], taken
            )
            offers = tuple(rng.sample(PERSON_OFFERS, rng.randint(1, 3)))
        drafts.append((joined, member_id, name, kind, offers))
    drafts.sort(key=lambda d: d[0])
    treasurer_id, treasurer_name, treasurer_email = TREASURER
    people = [
        _person(
            Member(
                treasurer_id,
                treasurer_name,
                "person",
                founded,
                emails=(treasurer_email,),
                roles=("treasurer",),
            ),
            rules,
            tuple(rng.sample(PERSON_OFFERS, 2)),
        )
    ]
    for index, (joined, member_id, name, kind, offers) in enumerate(drafts):
        own_floor = own_ceiling = None
        if kind == "business" and index % 3 == 0:
            own_floor, own_ceiling = (
                Timeline.constant(Decimal(-3000)),
                Timeline.constant(Decimal(8000)),
            )
        member = Member(
            member_id,
            name,
            kind,
            joined,
            emails=(f"{member_id}@example.org",),
            floor=own_floor,
            ceiling=own_ceiling,
        )
        people.append(_person(member, rules, offers))
    return people


def _person(member: Member, rules: Rules, offers: tuple[Offer, ...]) -> _Person:
    floor = floor_at(member, rules, member.joined)
    ceiling = ceiling_at(member, rules, member.joined)
    assert floor is not None and ceiling is not None and floor < 0 < ceiling
    return _Person(
        member, int(floor * CENTS), int(ceiling * CENTS), offers, member.kind == "business"
    )


def members_text(spec: DemoSpec, people: list[_Person]) -> str:
    files = cooperative_files(
        spec.name, spec.currency, spec.currency_name, spec.start, people[0].member, DECIMALS
    )
    return files[MEMBERS_FILE] + "".join(render_member(p.member, DECIMALS) for p in people[1:])


def _cumulative(weights: list[float]) -> list[float]:
    total, result = 0.0, []
    for weight in weights:
        total += weight
        result.append(total)
    return result


class _Chooser:
    """Picks payers and payees with skewed weights among members who have joined."""

    def __init__(self, people: list[_Person], rng: random.Random) -> None:
        self.rng = rng
        # members ordered by joining date, so that those joined by a day are a prefix
        self.order = sorted(range(len(people)), key=lambda i: people[i].member.joined)
        self.joined = [people[i].member.joined for i in self.order]
        ranks = list(range(1, len(people) + 1))
        rng.shuffle(ranks)
        activity = [1.0 / ranks[i] ** ZIPF_EXPONENT for i in self.order]
        self.pay = _cumulative(activity)
        self.receive = _cumulative(
            [
                w * (4.0 if people[i].is_business else 1.0)
                for w, i in zip(activity, self.order, strict=True)
            ]
        )

    def joined_by(self, day: datetime.date) -> int:
        return bisect.bisect_right(self.joined, day)

    def pick(self, cumulative: list[float], count: int, rng: random.Random | None = None) -> int:
        point = (rng or self.rng).random() * cumulative[count - 1]
        return self.order[min(bisect.bisect_right(cumulative, point, 0, count), count - 1)]


def _period(spec: DemoSpec) -> list[datetime.date]:
    return [
        spec.start + datetime.timedelta(days=n) for n in range((spec.until - spec.start).days + 1)
    ]


def _days(spec: DemoSpec, rng: random.Random) -> list[datetime.date]:
    """The date of every trade, sorted: more on Saturdays (market day), fewer on Sundays."""
    period = _period(spec)
    factor = {5: 1.8, 6: 0.5}
    cumulative = _cumulative([factor.get(d.weekday(), 1.0) for d in period])
    return sorted(rng.choices(period, cum_weights=cumulative, k=spec.trades))


def _price(rng: random.Random, low: int, high: int) -> int:
    cents = rng.randint(low, high) * CENTS
    if rng.random() < 0.15:
        cents += CENTS // 2
    return cents


def _what(
    rng: random.Random, payer: _Person, payee: _Person, month: str
) -> tuple[str, str | None, int]:
    """Memo, category and price of a purchase of `payer` from `payee`."""
    if payer.is_business and payee.is_business:
        memo, low, high = BETWEEN_BUSINESSES[rng.randrange(len(BETWEEN_BUSINESSES))]
        category: str | None = "entre entreprises"
    else:
        memo, category, low, high = payee.offers[rng.randrange(len(payee.offers))]
    if rng.random() < 0.2 and not payee.is_business:
        category = None  # hand-written entries often have none
    return memo.replace("{mois}", month), category, _price(rng, low, high)


def _pair(chooser: _Chooser, people: list[_Person], count: int) -> tuple[int, int]:
    """A payer and a payee who can both take a trade of one unit."""
    for _ in range(20):
        payer = chooser.pick(chooser.pay, count)
        payee = chooser.pick(chooser.receive, count)
        if payer == payee:
            continue
        for a, b in ((payer, payee), (payee, payer)):
            if _room(people[a], people[b]) >= CENTS:
                return a, b
    # rare: the member with most room to pay pays the one with most room to receive
    candidates = chooser.order[:count]
    a = max(candidates, key=lambda i: people[i].balance - people[i].floor)
    b = max((i for i in candidates if i != a), key=lambda i: people[i].ceiling - people[i].balance)
    return a, b


def paid(
    payer: _Person,
    payee: _Person,
    cents: int,
    day: datetime.date,
    memo: str,
    category: str | None,
    trade_id: str,
    currency: str,
) -> tuple[str, str]:
    """`payer` pays `payee` `cents` in the demo's running balances: the payer's
    month file and the trade's entry text, as `coopledger trade` writes it."""
    payer.balance -= cents
    payee.balance += cents
    amount = Decimal(cents).scaleb(-DECIMALS)
    trade = Trade(day, payer.member.id, payee.member.id, amount, memo, trade_id, category)
    return entry_path(day, payer.member.id), format_trade(trade, currency, DECIMALS)


def _room(payer: _Person, payee: _Person) -> int:
    """The most the payer can pay the payee, in whole units, within both limits."""
    room = min(payer.balance - payer.floor, payee.ceiling - payee.balance)
    return room - room % CENTS


def demo_files(spec: DemoSpec) -> Iterator[tuple[str, str]]:
    """Every file of the demo cooperative, as (path relative to its root, text)."""
    if spec.members < 2 or spec.months < 1 or spec.trades < 0 or spec.invoices < 0:
        raise ValueError(f"a demo needs 2 members, 1 month and no negative count: {spec}")
    rng = random.Random(spec.seed)
    rules_yaml, rules = _rules(spec)
    people = _make_members(spec, rng, rules)
    files = cooperative_files(
        spec.name, spec.currency, spec.currency_name, people[0].member.joined, None, DECIMALS
    )
    files[RULES_FILE] = rules_yaml
    files[MEMBERS_FILE] = members_text(spec, people)
    yield from sorted(files.items())
    chooser = _Chooser(people, rng)
    month_key: tuple[int, int] | None = None
    month_files: dict[str, list[str]] = {}
    ids_today: set[str] = set()
    today: datetime.date | None = None
    count = 0
    # invoices draw from their own generator, so that asking for some leaves the trades as they are
    invoice_rng = random.Random(f"{spec.seed}-invoices")
    invoice_days = sorted(invoice_rng.choices(_period(spec), k=spec.invoices))
    events = heapq.merge(((d, False) for d in _days(spec, rng)), ((d, True) for d in invoice_days))
    invoices = 0
    for day, is_invoice in events:
        if (day.year, day.month) != month_key:
            yield from _month_texts(month_files)
            month_key, month_files = (day.year, day.month), {}
        if day != today:
            today, ids_today, count = day, set(), chooser.joined_by(day)
        if is_invoice:
            invoices += 1
            path, text = _invoice(spec, invoice_rng, chooser, people, count, day, invoices)
            month_files.setdefault(path, []).append(text)
            continue
        # the payer and payee are drawn first; what is bought depends on the payee
        a, b = _pair(chooser, people, count)
        memo, category, price = _what(rng, people[a], people[b], MONTHS_FR[day.month - 1])
        amount = max(min(price, _room(people[a], people[b])), CENTS)
        trade_id = f"{day.isoformat()}-{rng.getrandbits(32):08x}"
        while trade_id in ids_today:
            trade_id = f"{day.isoformat()}-{rng.getrandbits(32):08x}"
        ids_today.add(trade_id)
        path, text = paid(
            people[a], people[b], amount, day, memo, category, trade_id, spec.currency
        )
        month_files.setdefault(path, []).append(text)
    yield from _month_texts(month_files)


def _invoice(
    spec: DemoSpec,
    rng: random.Random,
    chooser: _Chooser,
    people: list[_Person],
    count: int,
    day: datetime.date,
    number: int,
) -> tuple[str, str]:
    """An open invoice (it moves no balance), in its creditor's file."""
    debtor = creditor = chooser.pick(chooser.pay, count, rng)
    while creditor == debtor:
        creditor = chooser.pick(chooser.receive, count, rng)
    memo, _, price = _what(rng, people[debtor], people[creditor], MONTHS_FR[day.month - 1])
    invoice = Invoice(
        ref=f"F-{number:06d}",
        debtor=people[debtor].member.id,
        creditor=people[creditor].member.id,
        amount=Decimal(price).scaleb(-DECIMALS),
        date=day,
        due=day + datetime.timedelta(days=30),
        memo=memo,
    )
    text = format_invoice(invoice, spec.currency, DECIMALS)
    return entry_path(day, invoice.creditor), text


def _month_texts(month_files: dict[str, list[str]]) -> Iterator[tuple[str, str]]:
    # entries separated by a blank line and aligned, as `coopledger trade` inserts them
    for path in sorted(month_files):
        yield path, journal_text.insert_entries("", month_files[path]).text

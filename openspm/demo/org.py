"""The demo sales organisation: people, hierarchy and the HR events of the generated period.

Hierarchy: CRO > regional VPs > (regional directors, from 400 employees) > first-line sales
managers > account executives (AEs), solutions engineers (SEs) and customer success managers
(CSMs). Over the period people are hired, terminated, promoted, moved to another manager for a
while, go on leave and change their names; every change is a job_history row.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field, replace

import numpy as np

from openspm.demo.calendar import Calendar, first_day_of_month, monday_on_or_after, month_of_day
from openspm.demo.names import EMAIL_DOMAIN, FIRST_NAMES, LAST_NAMES, REGIONS, Region

INDIVIDUALS = ("AE", "SE", "CSM")
NO_MANAGER = -1


@dataclass(frozen=True)
class JobRow:
    """One job_history row: what holds from ``effective`` until the next row."""

    effective: int  # day
    role: str
    title: str
    manager: int  # index of the manager in Org.people, NO_MANAGER for the CRO
    department: str
    country: str
    status: str  # active | leave | terminated
    recorded: int  # day the HRIS recorded it (drives modified_at and the batch)


@dataclass
class Person:
    """One employee with the history of their job."""

    idx: int
    first_name: str
    last_name: str
    region: Region
    country: str
    hire: int
    skill: float  # selling productivity relative to peers (1.0 = typical)
    created: int  # day the HRIS record was created
    jobs: list[JobRow] = field(default_factory=list)
    term: int | None = None  # last day employed
    term_recorded: int | None = None
    new_hire: bool = False  # hired during the generated period
    rename: tuple[int, str] | None = None  # (day recorded, new last name)
    employee_id: str = ""
    user_id: str = ""
    email: str = ""
    email_after_rename: str = ""

    @property
    def first_role(self) -> str:
        return self.jobs[0].role

    def job_on(self, day: int) -> JobRow | None:
        """The row that holds on ``day`` (None before the first row)."""
        found = None
        for row in self.jobs:
            if row.effective > day:
                break
            found = row
        return found

    def add_job(self, effective: int, recorded: int, **changes: object) -> None:
        """Add a row that copies the row holding on ``effective`` with ``changes``."""
        base = self.job_on(effective)
        assert base is not None and all(r.effective != effective for r in self.jobs)
        row = replace(base, effective=effective, recorded=recorded, **changes)  # type: ignore[arg-type]
        self.jobs.append(row)
        self.jobs.sort(key=lambda r: r.effective)

    def employed_until(self, default: int) -> int:
        return self.term if self.term is not None else default

    def role_segments(self, end: int) -> list[tuple[int, int, str]]:
        """(from, to inclusive, role) while employed, up to ``end``; a new segment per role."""
        segments: list[tuple[int, int, str]] = []
        last = self.employed_until(end)
        for row in self.jobs:
            if row.status == "terminated":
                break
            if segments and segments[-1][2] == row.role:
                continue
            if segments:
                segments[-1] = (segments[-1][0], row.effective - 1, segments[-1][2])
            segments.append((row.effective, last, row.role))
        return [s for s in segments if s[0] <= s[1]]

    def leaves(self, end: int) -> list[tuple[int, int]]:
        """(from, to inclusive) of leave periods."""
        out = []
        for i, row in enumerate(self.jobs):
            if row.status == "leave":
                until = self.jobs[i + 1].effective - 1 if i + 1 < len(self.jobs) else end
                out.append((row.effective, until))
        return out


@dataclass
class Org:
    """Everyone who works in sales during the generated period."""

    people: list[Person]
    regions: tuple[Region, ...]
    levels: int  # 4 (CRO > VP > MGR > rep) or 5 (with regional directors)
    events: dict[str, int]  # number of each kind of HR event

    def by_role(self, role: str) -> list[Person]:
        return [p for p in self.people if p.first_role == role]


def _apportion(total: int, weights: list[float], minimum: int = 0) -> list[int]:
    """Split ``total`` into integers proportional to ``weights`` (largest remainder)."""
    n = len(weights)
    base = [minimum] * n
    rest = total - minimum * n
    if rest <= 0:
        return base
    w = np.asarray(weights, dtype="float64")
    exact = rest * w / w.sum()
    floor = np.floor(exact).astype(int)
    order = np.argsort(-(exact - floor), kind="stable")
    floor[order[: rest - int(floor.sum())]] += 1
    return [b + int(f) for b, f in zip(base, floor, strict=True)]


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum())


def _title(role: str, region: Region, rng: np.random.Generator) -> str:
    if role == "CRO":
        return "Chief Revenue Officer"
    if role == "VP":
        return f"VP Sales, {region.name}"
    if role == "DIR":
        return f"Regional Sales Director, {region.name}"
    if role == "MGR":
        return f"Sales Manager, {region.name}"
    variants = {
        "AE": ("Account Executive", "Senior Account Executive", "Enterprise Account Executive"),
        "SE": ("Solutions Engineer", "Senior Solutions Engineer"),
        "CSM": ("Customer Success Manager", "Senior Customer Success Manager"),
    }[role]
    weights = (0.5, 0.35, 0.15)[: len(variants)]
    p = np.asarray(weights) / sum(weights)
    return str(variants[int(rng.choice(len(variants), p=p))])


def _department(role: str, region: Region) -> str:
    if role == "CRO":
        return "Revenue Leadership"
    if role == "SE":
        return f"Solutions Engineering {region.code}"
    if role == "CSM":
        return f"Customer Success {region.code}"
    return f"Sales {region.code}"


class _Builder:
    """Builds the organisation step by step; every random draw comes from one generator."""

    def __init__(self, employees: int, cal: Calendar, rng: np.random.Generator) -> None:
        self.cal = cal
        self.rng = rng
        self.people: list[Person] = []
        self.busy: set[int] = set()
        self.manager_since: dict[int, int] = {}  # first-line managers and the day they started
        self.events: dict[str, int] = {}
        self.n_total = employees
        span = cal.end_day - cal.start_day + 1
        self.lo = cal.start_day + min(20, span // 4)
        self.hi = cal.end_day - min(10, span // 8)
        self.n_hires = round(0.12 * employees) if span >= 60 else 0

    # -- people -------------------------------------------------------------------------------
    def _pick_country(self, region: Region) -> str:
        names = [c for c, _ in region.staff_countries]
        p = np.asarray([w for _, w in region.staff_countries])
        return names[int(self.rng.choice(len(names), p=p / p.sum()))]

    def new_person(
        self, role: str, region: Region, manager: int, hire: int, created: int, recorded: int
    ) -> Person:
        rng = self.rng
        person = Person(
            idx=len(self.people),
            first_name=str(FIRST_NAMES[int(rng.integers(len(FIRST_NAMES)))]),
            last_name=str(LAST_NAMES[int(rng.integers(len(LAST_NAMES)))]),
            region=region,
            country=self._pick_country(region),
            hire=hire,
            skill=float(np.exp(rng.normal(0.0, 0.25))) if role in INDIVIDUALS else 1.0,
            created=created,
        )
        person.jobs.append(
            JobRow(
                effective=hire,
                role=role,
                title=_title(role, region, rng),
                manager=manager,
                department=_department(role, region),
                country=person.country,
                status="active",
                recorded=recorded,
            )
        )
        self.people.append(person)
        return person

    def _initial_hire(self, role: str, manager: int) -> int:
        years = {"CRO": (3.5, 6.0), "VP": (0.8, 5.0), "DIR": (0.8, 5.0), "MGR": (0.6, 5.0)}.get(
            role, (0.1, 6.0)
        )
        start = self.cal.start_day
        day = start - int(self.rng.uniform(*years) * 365)
        if manager != NO_MANAGER and day < self.people[manager].hire + 14:
            # joined after their manager: some time between the manager's start and today
            day = self._day(self.people[manager].hire + 14, start - 7)
        return min(day, start - 7)

    def initial(self, headcount: int) -> int:
        """Create the organisation as it stands on the first day; returns its number of levels."""
        regions = REGIONS if headcount >= 60 else REGIONS[:3]
        self.regions = regions
        weights = [r.weight for r in regions]
        directors = headcount >= 400
        n_mgr = max(len(regions), round(headcount / 9.5))
        mgr_r = _apportion(n_mgr, weights, minimum=1)
        dir_r = [max(1, round(m / 5)) for m in mgr_r] if directors else [0] * len(regions)
        vp_r = [max(1, round(d / 5)) for d in dir_r] if directors else [1] * len(regions)
        n_ic = headcount - 1 - sum(mgr_r) - sum(dir_r) - sum(vp_r)
        if n_ic < len(regions):
            raise ValueError(f"{headcount} employees are too few for a sales organisation")
        ic_r = _apportion(n_ic, [float(m) for m in mgr_r], minimum=1)
        start = self.cal.start_day
        cro_hire = self._initial_hire("CRO", NO_MANAGER)
        cro = self.new_person("CRO", regions[0], NO_MANAGER, cro_hire, start, start)
        for r, region in enumerate(regions):
            vps = [self._leader("VP", region, cro.idx) for _ in range(vp_r[r])]
            if directors:
                parents = [
                    self._leader("DIR", region, vps[i % len(vps)].idx) for i in range(dir_r[r])
                ]
            else:
                parents = vps
            managers = [
                self._leader("MGR", region, parents[i % len(parents)].idx) for i in range(mgr_r[r])
            ]
            self.manager_since.update({m.idx: m.hire for m in managers})
            n_ae = max(1, round(0.68 * ic_r[r]))
            n_se = round(0.14 * ic_r[r]) if ic_r[r] - n_ae >= 1 else 0
            n_csm = ic_r[r] - n_ae - n_se
            roles = ["AE"] * n_ae + ["SE"] * n_se + ["CSM"] * n_csm
            order = self.rng.permutation(len(roles))
            for i, k in enumerate(order):
                manager = managers[i % len(managers)].idx
                role = roles[int(k)]
                hire = self._initial_hire(role, manager)
                self.new_person(role, region, manager, hire, start, start)
        return 5 if directors else 4

    def _leader(self, role: str, region: Region, manager: int) -> Person:
        start = self.cal.start_day
        hire = self._initial_hire(role, manager)
        return self.new_person(role, region, manager, hire, start, start)

    # -- events -------------------------------------------------------------------------------
    def _count(self, fraction: float, minimum: int = 1) -> int:
        if self.hi - self.lo < 30:
            return 0
        return max(minimum, round(fraction * self.n_total))

    def _day(self, lo: int, hi: int) -> int:
        return int(self.rng.integers(lo, max(lo, hi) + 1))

    def _pool(self, people: list[Person]) -> list[Person]:
        """Candidates in random order, for ``_take``."""
        return [people[int(k)] for k in self.rng.permutation(len(people))]

    def _take(self, pool: list[Person]) -> Person | None:
        """Pop a random candidate that no other event has taken yet (and mark it taken)."""
        while pool:
            chosen = pool.pop()
            if chosen.idx not in self.busy:
                self.busy.add(chosen.idx)
                return chosen
        return None

    def _recorded(self, effective: int, max_lead: int = 14) -> int:
        return max(self.cal.start_day, effective - int(self.rng.integers(0, max_lead + 1)))

    def _initial_ics(self, role: str | None = None) -> list[Person]:
        return [
            p
            for p in self.people
            if p.first_role in INDIVIDUALS
            and not p.new_hire
            and (role is None or p.first_role == role)
        ]

    def managers_on(self, day: int, region: Region | None = None) -> list[Person]:
        """First-line managers in post on ``day`` (of ``region`` if given)."""
        return [
            self.people[idx]
            for idx, since in self.manager_since.items()
            if since <= day and (region is None or self.people[idx].region is region)
        ]

    def promotions(self) -> None:
        n = self._count(0.006)
        senior = self._pool(
            [p for p in self._initial_ics("AE") if p.hire <= self.cal.start_day - 365]
        )
        done = 0
        ics = self._initial_ics()
        for _ in range(n):
            person = self._take(senior)
            if person is None or self.hi - self.lo < 60:
                break
            month = int(month_of_day(self._day(self.lo, self.hi - 45)))
            day = int(first_day_of_month(month)) + int(self.rng.integers(9, 20))  # mid-month
            old = person.job_on(day)
            assert old is not None
            above = self.people[old.manager].job_on(day)
            grand = above.manager if above is not None else old.manager
            person.add_job(
                day,
                self._recorded(day, 20),
                role="MGR",
                title=f"Sales Manager, {person.region.name}",
                manager=grand,
                department=_department("MGR", person.region),
            )
            self.manager_since[person.idx] = day
            team = self._pool(
                [
                    p
                    for p in ics
                    if p.region is person.region and p.idx != person.idx and p.hire < day
                ]
            )
            for _ in range(int(self.rng.integers(3, 5))):
                member = self._take(team)
                if member is None:
                    break
                member.add_job(day, self._recorded(day, 10), manager=person.idx)
            done += 1
        self.events["promotions"] = done

    def manager_moves(self, levels: int) -> None:
        """A first-line manager moves under another parent (and, in 5 levels, a director)."""
        moves = 0
        kinds = [("MGR", "DIR" if levels == 5 else "VP")]
        if levels == 5:
            kinds.append(("DIR", "VP"))
        for role, parent_role in kinds:
            parents = [p for p in self.people if p.first_role == parent_role]
            movers = self._pool([p for p in self.people if p.first_role == role])
            for _ in range(max(1, round(0.01 * len(movers))) if self.hi - self.lo >= 30 else 0):
                person = self._take(movers)
                if person is None:
                    break
                current = person.jobs[-1].manager
                others = [p for p in parents if p.idx != current]
                if not others:
                    continue
                target = others[int(self.rng.integers(len(others)))]
                day = self._day(self.lo, self.hi)
                person.add_job(day, self._recorded(day), manager=target.idx)
                moves += 1
        self.events["manager_moves"] = moves

    def hires(self) -> None:
        weights = np.asarray([r.weight for r in self.regions])
        roles = ("AE", "SE", "CSM")
        done = 0
        for _ in range(self.n_hires if self.hi - self.lo >= 30 else 0):
            region = self.regions[
                int(self.rng.choice(len(self.regions), p=weights / weights.sum()))
            ]
            role = roles[int(self.rng.choice(3, p=[0.7, 0.15, 0.15]))]
            hire = monday_on_or_after(self._day(self.lo, self.hi - 14))
            if hire > self.cal.end_day:
                continue
            managers = self.managers_on(hire, region) or self.managers_on(hire)
            manager = managers[int(self.rng.integers(len(managers)))].idx
            created = self._recorded(hire, 28)
            person = self.new_person(role, region, manager, hire, created, created)
            person.new_hire = True
            self.busy.add(person.idx)
            done += 1
        self.events["hires"] = done

    def terminations(self) -> None:
        done = 0
        pool = self._pool(self._initial_ics())
        for _ in range(self._count(0.07)):
            person = self._take(pool)
            if person is None:
                break
            day = self._day(self.lo + 15, self.hi)
            person.term = day
            person.term_recorded = self._recorded(day)
            person.add_job(day, person.term_recorded, status="terminated")
            done += 1
        self.events["terminations"] = done

    def temporary_moves(self) -> None:
        done = 0
        pool = self._pool(self._initial_ics("AE"))
        for _ in range(self._count(0.02)):
            person = self._take(pool)
            if person is None:
                break
            start = self._day(self.lo, self.hi - 60)
            home = person.job_on(start)
            assert home is not None
            others = [
                m for m in self.managers_on(start, person.region) if m.idx != home.manager
            ] or [m for m in self.managers_on(start) if m.idx != home.manager]
            if not others:
                continue
            other = others[int(self.rng.integers(len(others)))]
            back = start + int(self.rng.integers(45, 150))
            person.add_job(start, self._recorded(start), manager=other.idx)
            if back <= self.hi:
                person.add_job(back, self._recorded(back), manager=home.manager)
            done += 1
        self.events["temporary_moves"] = done

    def leaves(self) -> None:
        done = 0
        pool = self._pool(self._initial_ics())
        for _ in range(self._count(0.01)):
            person = self._take(pool)
            if person is None:
                break
            start = self._day(self.lo, self.hi - 30)
            back = start + int(self.rng.integers(30, 120))
            person.add_job(start, self._recorded(start, 30), status="leave")
            if back <= self.cal.end_day:
                person.add_job(back, self._recorded(back), status="active")
            done += 1
        self.events["leaves"] = done

    def renames(self) -> None:
        done = 0
        candidates = self._pool([p for p in self._initial_ics() if p.term is None])
        for _ in range(self._count(0.005)):
            person = self._take(candidates)
            if person is None:
                break
            new_last = str(LAST_NAMES[int(self.rng.integers(len(LAST_NAMES)))])
            if new_last == person.last_name:
                continue
            person.rename = (self._day(self.lo, self.hi), new_last)
            done += 1
        self.events["renames"] = done

    # -- identifiers --------------------------------------------------------------------------
    def identify(self) -> None:
        """Employee ids by hire order, CRM user ids in a different order, unique emails."""
        people = self.people
        width = max(4, len(str(len(people))))
        by_hire = sorted(people, key=lambda p: (p.hire, p.idx))
        for n, person in enumerate(by_hire, start=1):
            person.employee_id = f"E{n:0{width}d}"
        # The CRM was rolled out with every existing user at once, in no particular order.
        existing = [p for p in by_hire if not p.new_hire]
        order = self.rng.permutation(len(existing))
        for n, k in enumerate(order, start=1):
            existing[int(k)].user_id = f"U{n:0{width}d}"
        for n, person in enumerate((p for p in by_hire if p.new_hire), start=len(existing) + 1):
            person.user_id = f"U{n:0{width}d}"
        taken: set[str] = set()
        for person in by_hire:
            person.email = _unique_email(person.first_name, person.last_name, taken)
            if person.rename is not None:
                person.email_after_rename = _unique_email(
                    person.first_name, person.rename[1], taken
                )


def _unique_email(first: str, last: str, taken: set[str]) -> str:
    stem = f"{_ascii(first)}.{_ascii(last)}"
    email, n = f"{stem}@{EMAIL_DOMAIN}", 1
    while email in taken:
        n += 1
        email = f"{stem}{n}@{EMAIL_DOMAIN}"
    taken.add(email)
    return email


def build_org(employees: int, cal: Calendar, rng: np.random.Generator) -> Org:
    """The organisation with ``employees`` people in total (including the period's hires)."""
    if employees < 20:
        raise ValueError(f"the demo needs at least 20 employees, got {employees}")
    b = _Builder(employees, cal, rng)
    levels = b.initial(employees - b.n_hires)
    b.promotions()
    b.manager_moves(levels)
    b.hires()
    b.terminations()
    b.temporary_moves()
    b.leaves()
    b.renames()
    b.identify()
    return Org(people=b.people, regions=b.regions, levels=levels, events=b.events)

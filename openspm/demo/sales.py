"""CRM and ERP data of the demo, generated column-wise with numpy (no per-deal Python loops).

Deals are owned by AEs and CSMs while they sell (employed, in that role, not on leave); amounts
are log-normal by account segment; some deals have revenue splits between reps or an overlay
split crediting a solutions engineer. Deals are delivered in monthly batches: some first while
open, every deal when it closes, and some again later (amount corrected, lost turned won, won
turned lost, cancelled, deleted). Won deals are invoiced yearly in advance and paid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from openspm.demo.calendar import (
    US_PER_DAY,
    Calendar,
    add_months,
    first_day_of_month,
)
from openspm.demo.names import (
    COMPANY_FIRST,
    COMPANY_SECOND,
    COUNTRY_CURRENCY,
    COUNTRY_SUFFIX,
    CURRENCIES,
    INDUSTRIES,
    STAGES,
)
from openspm.demo.org import Org

NEW_BUSINESS, EXPANSION, RENEWAL = 0, 1, 2
ROLE_AE, ROLE_CSM, ROLE_SE = 0, 1, 2
STAGE_WON, STAGE_LOST = STAGES.index("closed_won"), STAGES.index("closed_lost")
NO_DAY = -1  # a missing date

# Post-close events of a deal (at most one each, in a later batch).
EV_NONE, EV_CANCEL, EV_DELETE, EV_AMOUNT, EV_WON_TO_LOST, EV_LOST_TO_WON = range(6)


@dataclass
class Intervals:
    """Days when a person works in a crediting role (AE, CSM, SE), not on leave."""

    emp: np.ndarray
    lo: np.ndarray
    hi: np.ndarray  # inclusive
    weight: np.ndarray  # selling intensity per day
    role: np.ndarray
    region: np.ndarray

    def subset(self, mask: np.ndarray) -> Intervals:
        return Intervals(*(getattr(self, f)[mask] for f in self.__dataclass_fields__))


def working_intervals(org: Org, cal: Calendar) -> Intervals:
    """Per person and role segment, the days they can close (or support) deals."""
    codes = {"AE": ROLE_AE, "CSM": ROLE_CSM, "SE": ROLE_SE}
    region_index = {r.code: i for i, r in enumerate(org.regions)}
    rows: list[tuple[int, int, int, float, int, int]] = []
    for p in org.people:
        reg = region_index[p.region.code]
        last_day = p.term - 1 if p.term is not None else cal.end_day
        leaves = p.leaves(cal.end_day)
        for a, b, role in p.role_segments(cal.end_day):
            if role not in codes:
                continue
            pieces = [(max(a, cal.start_day), min(b, last_day, cal.end_day))]
            for la, lb in leaves:
                pieces = [
                    piece
                    for x, y in pieces
                    for piece in ((x, min(y, la - 1)), (max(x, lb + 1), y))
                    if piece[0] <= piece[1]
                ]
            for x, y in pieces:
                if x > y:
                    continue
                ramp_end = p.hire + 60 if p.new_hire else x
                if x < ramp_end <= y:  # new hires sell less in their first two months
                    rows.append((p.idx, x, ramp_end - 1, 0.4 * p.skill, codes[role], reg))
                    x = ramp_end
                weight = p.skill * (0.4 if y < ramp_end else 1.0)
                rows.append((p.idx, x, y, weight, codes[role], reg))
    arr = np.asarray(rows, dtype="float64").reshape(-1, 6)
    return Intervals(
        emp=arr[:, 0].astype("int64"),
        lo=arr[:, 1].astype("int64"),
        hi=arr[:, 2].astype("int64"),
        weight=arr[:, 3],
        role=arr[:, 4].astype("int64"),
        region=arr[:, 5].astype("int64"),
    )


@dataclass
class Accounts:
    """CRM accounts (the last ``n_junk`` are duplicates with no deals, deleted later)."""

    region: np.ndarray
    country: np.ndarray  # country codes (object array)
    currency: np.ndarray  # index into CURRENCIES
    segment: np.ndarray  # index into SEGMENTS
    industry: np.ndarray  # index into INDUSTRIES
    first: np.ndarray  # index into COMPANY_FIRST
    second: np.ndarray  # index into COMPANY_SECOND
    suffix: np.ndarray  # legal-form suffix (object array, with its leading separator)
    n_junk: int


@dataclass
class Deals:
    """Deal attributes (final state) and every delivered version."""

    account: np.ndarray
    owner: np.ndarray  # person index
    deal_type: np.ndarray
    close: np.ndarray  # day
    currency: np.ndarray
    term: np.ndarray  # months, 0 = missing
    contract_start: np.ndarray  # day, NO_DAY = missing
    created: np.ndarray
    # final state
    stage: np.ndarray
    won: np.ndarray
    amount: np.ndarray  # cents
    cancelled: np.ndarray  # day, NO_DAY = none
    deleted: np.ndarray
    # versions (one row per delivery)
    v_deal: np.ndarray
    v_batch: np.ndarray  # month offset of the batch
    v_modified: np.ndarray  # microseconds since epoch, UTC
    v_stage: np.ndarray
    v_amount: np.ndarray
    v_cancelled: np.ndarray
    v_deleted: np.ndarray


@dataclass
class Splits:
    """Deal splits: final state and delivered versions."""

    deal: np.ndarray
    owner: np.ndarray
    overlay: np.ndarray  # bool: overlay (else revenue)
    percent: np.ndarray  # hundredths of a percent, final
    deleted: np.ndarray  # final
    v_split: np.ndarray
    v_batch: np.ndarray
    v_modified: np.ndarray
    v_percent: np.ndarray
    v_deleted: np.ndarray


def _choice(rng: np.random.Generator, p: np.ndarray, n: int) -> np.ndarray:
    """n draws of indices with probabilities ``p`` (rows of p, or one vector)."""
    if p.ndim == 1:
        return np.searchsorted(np.cumsum(p / p.sum()), rng.random(n), side="right").clip(
            0, p.size - 1
        )
    cdf = np.cumsum(p, axis=1)
    cdf /= cdf[:, -1:]
    u = rng.random(n)[:, None]
    return np.minimum((u >= cdf).sum(axis=1), p.shape[1] - 1)


def _time_in_day(rng: np.random.Generator, n: int) -> np.ndarray:
    """Microseconds into a working day (07:00-21:59 UTC), whole seconds."""
    return rng.integers(7 * 3600, 22 * 3600, size=n) * 1_000_000


def make_accounts(org: Org, deals_per_region: np.ndarray, rng: np.random.Generator) -> Accounts:
    """About one account per six deals in each region, plus a few duplicates."""
    counts = np.maximum(8, deals_per_region // 6)
    region = np.repeat(np.arange(len(org.regions)), counts)
    country = np.empty(region.size, dtype=object)
    for r, reg in enumerate(org.regions):
        mask = region == r
        codes = np.asarray([c for c, _ in reg.account_countries], dtype=object)
        weights = np.asarray([w for _, w in reg.account_countries])
        country[mask] = codes[_choice(rng, weights, int(mask.sum()))]
    n_junk = max(2, region.size // 100)
    junk = rng.integers(0, region.size, size=n_junk)
    region = np.concatenate([region, region[junk]])
    country = np.concatenate([country, country[junk]])
    n = region.size
    suffix = np.empty(n, dtype=object)
    for code, options in COUNTRY_SUFFIX.items():
        mask = country == code
        seps = np.asarray([s if s.startswith(",") else f" {s}" for s in options], dtype=object)
        suffix[mask] = seps[rng.integers(0, len(options), size=int(mask.sum()))]
    first = rng.integers(0, len(COMPANY_FIRST), size=n)
    second = rng.integers(0, len(COMPANY_SECOND), size=n)
    first[-n_junk:], second[-n_junk:] = first[junk], second[junk]
    currency = np.asarray([CURRENCIES.index(COUNTRY_CURRENCY[c]) for c in country], dtype="int64")
    return Accounts(
        region=region,
        country=country,
        currency=currency,
        segment=_choice(rng, np.asarray([0.2, 0.45, 0.35]), n),
        industry=rng.integers(0, len(INDUSTRIES), size=n),
        first=first,
        second=second,
        suffix=suffix,
        n_junk=n_junk,
    )


def sample_deals(
    intervals: Intervals, n: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Owner interval and close day of ``n`` deals, in proportion to selling days x intensity."""
    sellers = intervals.role != ROLE_SE
    length = (intervals.hi - intervals.lo + 1).astype("float64")
    mass = length * intervals.weight * sellers
    ae_mass = mass[intervals.role == ROLE_AE].sum()
    csm_mass = mass[intervals.role == ROLE_CSM].sum()
    if csm_mass > 0:  # CSMs own about a fifth of the deals (mostly renewals)
        mass = np.where(intervals.role == ROLE_CSM, mass * 0.25 * ae_mass / csm_mass, mass)
    pick = _choice(rng, mass, n)
    offset = np.floor(rng.random(n) * length[pick]).astype("int64")
    return pick, intervals.lo[pick] + offset


def make_deals(
    org: Org,
    cal: Calendar,
    intervals: Intervals,
    n_deals: int,
    rng: np.random.Generator,
) -> tuple[Accounts, Deals]:
    """Accounts and deals with their delivered versions."""
    pick, close = sample_deals(intervals, n_deals, rng)
    owner_region = intervals.region[pick]
    role = intervals.role[pick]
    accounts = make_accounts(org, np.bincount(owner_region, minlength=len(org.regions)), rng)
    n = n_deals
    # deal type by role
    deal_type = np.where(
        role == ROLE_AE,
        _choice(rng, np.asarray([0.62, 0.33, 0.05]), n),
        np.where(rng.random(n) < 0.8, RENEWAL, EXPANSION),
    )
    # account: one of the owner's region (duplicates never get deals)
    real = accounts.region.size - accounts.n_junk
    acc_region = accounts.region[:real]
    counts = np.bincount(acc_region, minlength=len(org.regions))
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
    account = offsets[owner_region] + np.floor(rng.random(n) * counts[owner_region]).astype("int64")
    currency = accounts.currency[account]
    # amount: log-normal by segment and deal type, in the account's currency
    median_usd = np.asarray([95_000.0, 30_000.0, 9_000.0])[accounts.segment[account]]
    median_usd *= np.asarray([1.0, 0.45, 0.9])[deal_type]
    local = (
        median_usd * np.exp(rng.normal(0.0, 0.55, size=n)) / np.asarray([1.0, 1.08, 1.26])[currency]
    )
    local = np.clip(local, 5_000.0, 500_000.0)
    whole = rng.random(n) < 0.8
    amount = np.where(whole, np.rint(local / 10.0) * 1000, np.rint(local * 100.0)).astype("int64")
    # outcome
    p_win = np.asarray([0.35, 0.6, 0.85])[deal_type]
    won = rng.random(n) < p_win
    # the last weeks' deals that are not won yet are still in the pipeline
    open_at_end = ~won & (close > cal.end_day - 40) & (rng.random(n) < 0.7)
    stage = np.where(won, STAGE_WON, STAGE_LOST)
    stage = np.where(open_at_end, rng.integers(0, 4, size=n), stage)
    # contract terms
    term_p = np.asarray(
        [[0.55, 0.15, 0.2, 0.03, 0.07], [0.6, 0.1, 0.1, 0.12, 0.08], [0.75, 0.1, 0.1, 0.0, 0.05]]
    )
    term = np.asarray([12, 24, 36, 6, 0])[_choice(rng, term_p[deal_type], n)]
    contract_start = np.where(rng.random(n) < 0.04, NO_DAY, close + rng.integers(0, 15, size=n))
    # cancellations of won deals: some within the clawback window, some after it
    cancel_gap = np.where(
        rng.random(n) < 0.6, rng.integers(5, 86, size=n), rng.integers(100, 400, size=n)
    )
    cancelled = np.where(won & (rng.random(n) < 0.03), close + cancel_gap, NO_DAY)
    cancelled = np.where(cancelled > cal.end_day, NO_DAY, cancelled)
    created = close - np.clip(np.exp(rng.normal(np.log(45.0), 0.6, size=n)), 3, 300).astype("int64")
    # CRM ids follow creation order: renumber deals by created day
    order = np.lexsort((close, created))
    owner = intervals.emp[pick]
    cols = [account, owner, deal_type, close, currency, term, contract_start, created, stage,
            won, amount, cancelled]  # fmt: skip
    (account, owner, deal_type, close, currency, term, contract_start, created, stage, won,
     amount, cancelled) = (c[order] for c in cols)  # fmt: skip
    deals = _versions(
        cal, rng, account, owner, deal_type, close, currency, term, contract_start, created,
        stage, won, amount, cancelled,
    )  # fmt: skip
    return accounts, deals


def _month_day(rng: np.random.Generator, batch: np.ndarray, cal: Calendar) -> np.ndarray:
    """A random day within the batch month."""
    month = cal.first_month + batch
    start = first_day_of_month(month)
    length = first_day_of_month(month + 1) - start
    return start + np.floor(rng.random(batch.size) * length).astype("int64")


def _versions(
    cal: Calendar,
    rng: np.random.Generator,
    account: np.ndarray,
    owner: np.ndarray,
    deal_type: np.ndarray,
    close: np.ndarray,
    currency: np.ndarray,
    term: np.ndarray,
    contract_start: np.ndarray,
    created: np.ndarray,
    stage: np.ndarray,
    won: np.ndarray,
    amount: np.ndarray,
    cancelled: np.ndarray,
) -> Deals:
    n = close.size
    last = cal.n_months - 1
    close_batch = cal.batch_of_day(close)
    has_cancel = cancelled != NO_DAY
    cancel_batch = np.where(has_cancel, cal.batch_of_day(np.maximum(cancelled, 0)), -1)
    same_month_cancel = has_cancel & (cancel_batch == close_batch)

    # 1. Some deals are first delivered while still open, in the month they were created.
    created_batch = cal.batch_of_day(created)
    early = (created >= cal.start_day) & (created_batch < close_batch) & (rng.random(n) < 0.25)
    e_idx = np.flatnonzero(early)
    e_amount = (amount[e_idx] * rng.uniform(0.8, 1.25, size=e_idx.size) / 1000).astype(
        "int64"
    ) * 1000
    e_mod = created[e_idx] * US_PER_DAY + _time_in_day(rng, e_idx.size)

    # 2. Every deal is delivered in the month it closes (open pipeline: its last update).
    c_day = np.where(same_month_cancel, cancelled, close)
    c_mod = c_day * US_PER_DAY + _time_in_day(rng, n)
    c_cancel = np.where(same_month_cancel, cancelled, NO_DAY)

    # 3. At most one later change per deal, in a later batch.
    event = np.full(n, EV_NONE)
    event[has_cancel & (cancel_batch > close_batch)] = EV_CANCEL
    later = (event == EV_NONE) & (close_batch < last)
    r = rng.random(n)
    lost = stage == STAGE_LOST
    event[later & (r < 0.006)] = EV_DELETE
    event[later & won & (r >= 0.006) & (r < 0.046)] = EV_AMOUNT
    event[later & won & (r >= 0.046) & (r < 0.05)] = EV_WON_TO_LOST
    event[later & lost & (r >= 0.006) & (r < 0.021)] = EV_LOST_TO_WON
    l_idx = np.flatnonzero(event != EV_NONE)
    ev = event[l_idx]
    step = np.minimum(rng.geometric(0.55, size=l_idx.size), 6)
    l_batch = np.minimum(close_batch[l_idx] + step, last)
    l_batch = np.where(ev == EV_CANCEL, cancel_batch[l_idx], l_batch)
    l_day = np.where(ev == EV_CANCEL, cancelled[l_idx], _month_day(rng, l_batch, cal))
    l_mod = l_day * US_PER_DAY + _time_in_day(rng, l_idx.size)

    f_stage, f_won, f_amount = stage.copy(), won.copy(), amount.copy()
    f_deleted = np.zeros(n, dtype=bool)
    f_deleted[l_idx[ev == EV_DELETE]] = True
    factor = np.where(rng.random(l_idx.size) < 0.5, rng.uniform(0.7, 0.95, l_idx.size),
                      rng.uniform(1.05, 1.3, l_idx.size))  # fmt: skip
    amended = l_idx[ev == EV_AMOUNT]
    f_amount[amended] = (amount[amended] * factor[ev == EV_AMOUNT] / 1000).astype("int64") * 1000
    to_lost = l_idx[ev == EV_WON_TO_LOST]
    f_stage[to_lost], f_won[to_lost] = STAGE_LOST, False
    to_won = l_idx[ev == EV_LOST_TO_WON]
    f_stage[to_won], f_won[to_won] = STAGE_WON, True
    f_cancelled = np.where(has_cancel & (cancel_batch <= last), cancelled, NO_DAY)
    f_cancelled[to_lost] = NO_DAY
    f_cancelled = np.where(f_won | (stage == STAGE_WON), f_cancelled, NO_DAY)

    all_idx = np.arange(n)
    v_deal = np.concatenate([e_idx, all_idx, l_idx])
    return Deals(
        account=account,
        owner=owner,
        deal_type=deal_type,
        close=close,
        currency=currency,
        term=term,
        contract_start=contract_start,
        created=created,
        stage=f_stage,
        won=f_won,
        amount=f_amount,
        cancelled=f_cancelled,
        deleted=f_deleted,
        v_deal=v_deal,
        v_batch=np.concatenate([created_batch[e_idx], close_batch, l_batch]),
        v_modified=np.concatenate([e_mod, c_mod, l_mod]),
        v_stage=np.concatenate([rng.integers(0, 2, size=e_idx.size), stage, f_stage[l_idx]]),
        v_amount=np.concatenate([e_amount, amount, f_amount[l_idx]]),
        v_cancelled=np.concatenate(
            [
                np.full(e_idx.size, NO_DAY),
                c_cancel,
                np.where(ev == EV_CANCEL, cancelled[l_idx], f_cancelled[l_idx]),
            ]
        ),
        v_deleted=np.concatenate([np.zeros(e_idx.size + n, dtype=bool), ev == EV_DELETE]),
    )


def _partners(
    rng: np.random.Generator,
    pool: Intervals,
    region: np.ndarray,
    day: np.ndarray,
    exclude: list[np.ndarray],
    rounds: int = 10,
) -> np.ndarray:
    """A random person of ``pool`` in the same region, working on ``day``; -1 if none found."""
    order = np.argsort(pool.region, kind="stable")
    p_emp, p_lo, p_hi, p_reg = pool.emp[order], pool.lo[order], pool.hi[order], pool.region[order]
    n_regions = int(max(region.max(initial=0), p_reg.max(initial=0))) + 1
    counts = np.bincount(p_reg, minlength=n_regions)
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
    found = np.full(day.size, -1, dtype="int64")
    todo = np.flatnonzero(counts[region] > 0)
    for _ in range(rounds):
        if todo.size == 0:
            break
        r = region[todo]
        j = offsets[r] + np.floor(rng.random(todo.size) * counts[r]).astype("int64")
        ok = (p_lo[j] <= day[todo]) & (day[todo] <= p_hi[j])
        for ex in exclude:
            ok &= p_emp[j] != ex[todo]
        found[todo[ok]] = p_emp[j[ok]]
        todo = todo[~ok]
    return found


def make_splits(
    deals: Deals,
    intervals: Intervals,
    person_region: np.ndarray,
    cal: Calendar,
    rng: np.random.Generator,
) -> Splits:
    """Revenue splits between AEs and overlay splits crediting SEs, with later changes."""
    n = deals.close.size
    close_batch = cal.batch_of_day(deals.close)
    won_at_close = np.zeros(n, dtype=bool)
    closing = np.flatnonzero(np.isin(deals.v_stage, [STAGE_WON]))
    won_at_close[deals.v_deal[closing]] = True  # won in some version: has splits in the CRM
    owner_is_ae = np.isin(
        deals.owner, intervals.emp[intervals.role == ROLE_AE]
    )  # AEs own new business
    region = person_region[deals.owner]
    ae_pool = intervals.subset(intervals.role == ROLE_AE)
    se_pool = intervals.subset(intervals.role == ROLE_SE)

    # revenue splits: 2 or 3 reps, percentages summing to exactly 100
    cand = np.flatnonzero(
        won_at_close & owner_is_ae & (deals.deal_type != RENEWAL) & (rng.random(n) < 0.13)
    )
    second = _partners(rng, ae_pool, region[cand], deals.close[cand], [deals.owner[cand]])
    cand, second = cand[second >= 0], second[second >= 0]
    third = _partners(rng, ae_pool, region[cand], deals.close[cand], [deals.owner[cand], second])
    three = (rng.random(cand.size) < 0.25) & (third >= 0)
    two_way = np.asarray([[5000, 5000, 0], [6000, 4000, 0], [7000, 3000, 0]])
    three_way = np.asarray([[3333, 3333, 3334], [4000, 3000, 3000], [5000, 2500, 2500]])
    pattern = np.where(
        three[:, None],
        three_way[_choice(rng, np.asarray([0.5, 0.3, 0.2]), cand.size)],
        two_way[_choice(rng, np.asarray([0.5, 0.3, 0.2]), cand.size)],
    )
    rev_deal = np.concatenate([cand, cand, cand[three]])
    rev_owner = np.concatenate([deals.owner[cand], second, third[three]])
    rev_pct = np.concatenate([pattern[:, 0], pattern[:, 1], pattern[three, 2]])
    rev_pos = np.concatenate([np.zeros(cand.size), np.ones(cand.size), np.full(three.sum(), 2)])

    # overlay: a solutions engineer on about 30% of won new business
    ov = np.flatnonzero(won_at_close & (deals.deal_type == NEW_BUSINESS) & (rng.random(n) < 0.3))
    se = _partners(rng, se_pool, region[ov], deals.close[ov], [deals.owner[ov]])
    ov, se = ov[se >= 0], se[se >= 0]
    ov_pct = np.where(rng.random(ov.size) < 0.75, 10000, 5000)

    s_deal = np.concatenate([rev_deal, ov])
    s_owner = np.concatenate([rev_owner, se])
    s_overlay = np.concatenate([np.zeros(rev_deal.size, bool), np.ones(ov.size, bool)])
    s_pct = np.concatenate([rev_pct, ov_pct])
    s_pos = np.concatenate([rev_pos, np.full(ov.size, 3)])
    order = np.lexsort((s_pos, s_deal))
    s_deal, s_owner, s_overlay, s_pct = (
        s_deal[order],
        s_owner[order],
        s_overlay[order],
        s_pct[order],
    )
    m = s_deal.size

    # first delivery: with the deal's closing version, a minute after it
    closing_version = np.flatnonzero(
        deals.v_batch == close_batch[deals.v_deal]
    )  # one per deal: the version of the closing month
    deal_close_mod = np.zeros(n, dtype="int64")
    deal_close_mod[deals.v_deal[closing_version]] = deals.v_modified[closing_version]
    f_batch = close_batch[s_deal]
    f_mod = deal_close_mod[s_deal] + 60_000_000

    # later: two-way revenue splits re-cut (both rows), overlays removed, deleted deals' splits
    deleted_version = np.flatnonzero(deals.v_deleted)
    del_batch = np.full(n, -1)
    del_batch[deals.v_deal[deleted_version]] = deals.v_batch[deleted_version]
    del_mod = np.zeros(n, dtype="int64")
    del_mod[deals.v_deal[deleted_version]] = deals.v_modified[deleted_version] + 60_000_000
    touched = np.zeros(n, dtype=bool)
    touched[deals.v_deal[deals.v_batch > close_batch[deals.v_deal]]] = True
    quiet = ~touched & (close_batch < cal.n_months - 1)

    pct = s_pct.copy()
    deleted = np.zeros(m, dtype=bool)
    counts = np.bincount(s_deal[~s_overlay], minlength=n)
    recut_deal = quiet & (counts == 2) & (rng.random(n) < 0.05)
    recut = ~s_overlay & recut_deal[s_deal]
    first_of_pair = recut & np.concatenate([[True], s_deal[1:] != s_deal[:-1]])
    new_first = np.where(s_pct == 5000, 6000, 5000)
    pct[first_of_pair] = new_first[first_of_pair]
    second_of_pair = np.flatnonzero(first_of_pair) + 1
    pct[second_of_pair] = 10000 - pct[second_of_pair - 1]
    drop_overlay = s_overlay & quiet[s_deal] & (rng.random(m) < 0.04)
    later_batch = np.minimum(close_batch + 1, cal.n_months - 1)
    later_day = _month_day(rng, later_batch, cal)
    later_mod = later_day * US_PER_DAY + _time_in_day(rng, n)

    changed = recut | drop_overlay
    gone = del_batch[s_deal] >= 0
    deleted[drop_overlay | gone] = True
    ch = np.flatnonzero(changed)
    gn = np.flatnonzero(gone)
    v_split = np.concatenate([np.arange(m), ch, gn])
    return Splits(
        deal=s_deal,
        owner=s_owner,
        overlay=s_overlay,
        percent=pct,
        deleted=deleted,
        v_split=v_split,
        v_batch=np.concatenate([f_batch, later_batch[s_deal[ch]], del_batch[s_deal[gn]]]),
        v_modified=np.concatenate([f_mod, later_mod[s_deal[ch]], del_mod[s_deal[gn]]]),
        v_percent=np.concatenate([s_pct, pct[ch], pct[gn]]),
        v_deleted=np.concatenate([np.zeros(m, bool), drop_overlay[ch], np.ones(gn.size, bool)]),
    )


@dataclass
class Invoices:
    deal: np.ndarray
    day: np.ndarray
    amount: np.ndarray  # cents
    status: np.ndarray  # 0 open, 1 paid, 2 void (final)
    change_day: np.ndarray  # day the final status was reached (NO_DAY when open)
    v_invoice: np.ndarray
    v_batch: np.ndarray
    v_modified: np.ndarray
    v_status: np.ndarray
    # payments
    p_invoice: np.ndarray
    p_day: np.ndarray
    p_amount: np.ndarray
    p_modified: np.ndarray


INVOICE_STATUS = ("open", "paid", "void")


def make_invoices(deals: Deals, cal: Calendar, rng: np.random.Generator) -> Invoices:
    """Yearly invoices in advance for won deals; payments for the paid ones."""
    won = np.flatnonzero(deals.won & ~deals.deleted)
    term = np.where(deals.term[won] > 0, deals.term[won], 12)
    start = np.where(
        deals.contract_start[won] != NO_DAY, deals.contract_start[won], deals.close[won] + 7
    )
    n_inst = (term + 11) // 12
    deal = np.repeat(won, n_inst)
    first_row = np.repeat(np.cumsum(n_inst) - n_inst, n_inst)
    inst = np.arange(deal.size) - first_row
    t = np.repeat(term, n_inst)
    day = add_months(np.repeat(start, n_inst), 12 * inst)
    months_billed = np.minimum(12, t - 12 * inst)
    amount = (deals.amount[deal] * months_billed) // t
    cancelled = deals.cancelled[deal]
    keep = (day <= cal.end_day) & ((cancelled == NO_DAY) | (day < cancelled))
    deal, day, amount, cancelled = deal[keep], day[keep], amount[keep], cancelled[keep]
    n = deal.size
    order = np.lexsort((deal, day))  # invoice numbers follow invoice dates
    deal, day, amount, cancelled = deal[order], day[order], amount[order], cancelled[order]

    pay_day = day + np.clip(np.exp(rng.normal(np.log(30.0), 0.5, size=n)), 5, 150).astype("int64")
    void_day = day + rng.integers(5, 40, size=n)
    voided = rng.random(n) < 0.015
    cancel_first = (cancelled != NO_DAY) & (cancelled < pay_day)
    status = np.zeros(n, dtype="int64")
    change = np.full(n, NO_DAY)
    never = np.iinfo("int64").max
    void_at = np.minimum(
        np.where(voided & (void_day <= cal.end_day), void_day, never),
        np.where(cancel_first & (cancelled <= cal.end_day), cancelled, never),
    )
    is_void = void_at != never
    status[is_void], change[is_void] = 2, void_at[is_void]
    paid = ~is_void & (pay_day <= cal.end_day) & ~voided
    status[paid], change[paid] = 1, pay_day[paid]

    first_batch = cal.batch_of_day(day)
    change_batch = np.where(change != NO_DAY, cal.batch_of_day(np.maximum(change, 0)), -1)
    same = change_batch == first_batch
    first_mod = np.where(same, change, day) * US_PER_DAY + _time_in_day(rng, n)
    first_status = np.where(same, status, 0)
    later = np.flatnonzero(change_batch > first_batch)
    later_mod = change[later] * US_PER_DAY + _time_in_day(rng, later.size)

    # payments: usually one, sometimes two instalments
    p_inv = np.flatnonzero(status == 1)
    partial = (rng.random(p_inv.size) < 0.04) & (pay_day[p_inv] - day[p_inv] > 12)
    half = amount[p_inv] // 2
    p_invoice = np.concatenate([p_inv, p_inv[partial]])
    p_day = np.concatenate([pay_day[p_inv], pay_day[p_inv][partial] - 10])
    p_amount = np.concatenate([np.where(partial, amount[p_inv] - half, amount[p_inv]),
                               half[partial]])  # fmt: skip
    order = np.lexsort((p_invoice, p_day))
    p_invoice, p_day, p_amount = p_invoice[order], p_day[order], p_amount[order]
    return Invoices(
        deal=deal,
        day=day,
        amount=amount,
        status=status,
        change_day=change,
        v_invoice=np.concatenate([np.arange(n), later]),
        v_batch=np.concatenate([first_batch, change_batch[later]]),
        v_modified=np.concatenate([first_mod, later_mod]),
        v_status=np.concatenate([first_status, status[later]]),
        p_invoice=p_invoice,
        p_day=p_day,
        p_amount=p_amount,
        p_modified=p_day * US_PER_DAY + _time_in_day(rng, p_day.size),
    )

"""Each mechanism on a handful of regions against values worked out by hand (docs/model.md, Submodels).

The compiled functions are called as the engine calls them, on arrays of 3-5 regions; every expected
number below is computed from the equation in the module's docstring, not from the code.
"""

import math
from types import SimpleNamespace

import numpy as np
import pytest
from scipy import sparse

from diffusion import competition, engine, failure, institutions, learning, mandate, spontaneous, streams
from diffusion.timeline import Timeline

I64 = np.int64


def pairs(*coordinates):
    rows, cols = zip(*coordinates)
    return np.array(rows, I64), np.array(cols, I64)


# ------------------------------------------------------------------------------------ spontaneous
def test_spontaneous_hazard_is_the_rate_for_every_undecided_pair():
    rows, cols = pairs((0, 0), (1, 2), (3, 1))
    out = np.zeros(3)
    spontaneous.fill(out, rows, cols, 0.012)
    assert out.tolist() == [0.012] * 3


# --------------------------------------------------------------------------------------- learning
def test_learning_hazard_by_hand():
    # w = 1/year, kappa = 4, tau0 = 4 (prior sd 0.5), tau = 8: evidence 1 - 4/8 = 0.5; m fit - cost = 0.5 - 0.2
    expected = 1.0 * 0.5 / (1 + math.exp(-4 * 0.3))
    assert learning.hazard(1.0, 4.0, 0.5, 8.0, 4.0, 1.0, 0.2) == pytest.approx(expected, rel=1e-12)
    assert learning.hazard(1.0, 4.0, 0.5, 4.0, 4.0, 1.0, 0.2) == 0.0      # no evidence, no learning
    bad = learning.hazard(1.0, 4.0, -1.0, 100.0, 4.0, 1.0, 0.2)             # much evidence of a bad reform
    assert bad == pytest.approx(0.96 / (1 + math.exp(4 * 1.2)), rel=1e-12) and bad < 0.01


def test_learning_fill_applies_mutual_recognition_to_the_cost():
    mean, precision = np.full((3, 2), 0.5), np.full((3, 2), 8.0)
    fit, cost = np.ones((3, 2)), np.full((3, 2), 0.4)
    discount = np.array([[0.5, 1.0], [1.0, 1.0], [1.0, 1.0]])   # region 0: half its partners adopted, mu = 1
    position = np.array([0, 1], I64)
    rows, cols = pairs((0, 0), (1, 0))
    out = np.zeros(2)
    learning.fill(out, rows, cols, mean, precision, 4.0, fit, cost, 1.0, 4.0, discount, position, True,
                  learning.NO_TERM, learning.NO_VALUE, False)
    assert out[0] == pytest.approx(0.5 / (1 + math.exp(-4 * (0.5 - 0.2))))
    assert out[1] == pytest.approx(0.5 / (1 + math.exp(-4 * (0.5 - 0.4))))


def test_evidence_reaches_self_and_neighbours_and_updates_beliefs_conjugately():
    # a path 0 - 1 - 2; region 0 adopts innovation 1 with outcome y = 1; V = I + A; two-way feedback in 2
    adjacency = sparse.csr_matrix(np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], float))
    visibility = (sparse.identity(3, format="csr") + adjacency).tocsr()
    mean, precision = np.full((3, 2), 0.2), np.full((3, 2), 4.0)
    signal = np.array([1.0, 2.0])   # tau_e per innovation
    broadcast = np.array([0.0, 0.0, 0.3])
    unique = learning.spread(np.array([0], I64), np.array([1], I64), np.array([1.0]), visibility.indptr,
                             visibility.indices, visibility.data, broadcast, mean, precision, signal, learning.NO_TERM)
    assert unique.tolist() == [1]
    seen = (4.0 * 0.2 + 2.0 * 1.0) / 6.0                       # one signal of precision 2
    half = (4.0 * 0.2 + 2.0 * 0.3 * 1.0) / (4.0 + 0.3 * 2.0)   # 0.3 of a signal, through the centre
    assert mean[:, 1] == pytest.approx([seen, seen, half]) and precision[:, 1] == pytest.approx([6.0, 6.0, 4.6])
    assert (mean[:, 0] == 0.2).all() and (precision[:, 0] == 4.0).all()   # innovation 0 saw nothing


def test_published_evidence_reaches_every_region_equally():
    mean, precision = np.full((4, 3), 0.2), np.full((4, 3), 4.0)
    learning.publish(mean, precision, np.array([1.5]), np.array([1.5]), np.array([1.0, 1.0, 2.0]), np.array([2], I64),
                     learning.NO_TERM)
    assert precision[:, 2] == pytest.approx([7.0] * 4)
    assert mean[:, 2] == pytest.approx([(0.8 + 3.0) / 7.0] * 4) and (mean[:, :2] == 0.2).all()


# ------------------------------------------------------------------------------------ competition
def test_rival_share_with_national_ftz_ranking_by_hand():
    # path 0 - 1 - 2 - 3, equal ties; 0 and 3 are open FTZs; only region 0 adopted
    adjacency = sparse.csr_matrix(np.array([[0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 1, 0]], float))
    weights = competition.rival_weights(adjacency, np.ones(4), 0.0, sparse.csr_matrix((4, 4)), 0.0)
    total = np.asarray(weights.sum(axis=1)).ravel()
    share = competition.rival_share(weights, total, np.array([[1.0], [0.0], [0.0], [0.0]]),
                                    np.array([True, False, False, True]))
    # region 1: one of two neighbours; region 2: none; region 3: no neighbour adopted, but its one FTZ peer
    # did -> 1 / (1 + 1). (Region 0 adopted already: its share is never used.)
    assert share[1:, 0] == pytest.approx([0.5, 0.0, 0.5])
    out = np.zeros(2)
    competition.fill(out, *pairs((1, 0), (3, 0)), 0.32, share, np.array([0], I64))
    assert out == pytest.approx([0.16, 0.16])


def test_similar_rivals_weigh_more():
    adjacency = sparse.csr_matrix(np.array([[0, 1, 1], [1, 0, 0], [1, 0, 0]], float))
    weights = competition.rival_weights(adjacency, np.array([1.0, 1.0, math.e]), 1.0, sparse.csr_matrix((3, 3)), 0.0)
    assert weights[0, 1] == pytest.approx(1.0) and weights[0, 2] == pytest.approx(math.exp(-1.0))


def test_the_lead_rotates_by_term_and_pulls_members():
    membership = np.array([[1.0], [1.0], [0.5], [0.0]])   # 0 and 1 full members, 2 partial, 3 outside
    assert competition.current_leads(membership, 0.0, 1.0).tolist() == [0]
    assert competition.current_leads(membership, 1.0, 1.0).tolist() == [1]      # after one yearly term
    assert competition.current_leads(membership, 2.5, 1.0).tolist() == [0]
    pull = competition.lead_pull(membership, np.array([1]), np.array([[0.0], [1.0], [0.0], [0.0]]))
    assert pull[:, 0].tolist() == [1.0, 0.0, 0.5, 0.0]


# ---------------------------------------------------------------------------------------- mandate
def test_mandate_pressure_deadline_penalty_and_the_part_of_the_step_by_hand():
    # quarterly steps; step 6 covers [1.25, 1.5) years. Item 0 binding since the start (deadline 1 year,
    # so 0.375 overdue at the step's middle, 1.375), item 1 binding issued at 17/12 (in this step), item 2
    # recommended, item 3 guided with a deadline of a quarter (0.125 overdue: half a deadline).
    timeline = Timeline(__import__("datetime").date(2013, 7, 1), "quarter", 48)
    adopted = np.zeros((3, 4), bool)
    adopted[0, 0] = True            # region 0 did its only item past its deadline; 1 and 2 did not
    due = np.full((3, 4), np.inf)
    due[1, 0], due[2, 0], due[0, 1] = 2.0, 1.3, 17 / 12 + 0.75
    scope = np.ones((3, 4), bool)
    scope[2, 1] = False             # item 1 does not bind region 2
    relevant = np.ones((3, 4), bool)
    relevant[0, 2] = False          # item 2 addresses no need of region 0
    state = SimpleNamespace(binding_years=np.array([0.0, 17 / 12, np.inf, np.inf]),
                            guided_years=np.array([np.inf, np.inf, np.inf, 1.0]),
                            best_practice_years=np.array([np.inf, np.inf, 1.0, np.inf]),
                            deadline_years=np.array([1.0, 1.0, np.inf, 0.25]), due=due, adopted=adopted)
    params = SimpleNamespace(channels=SimpleNamespace(mandate=SimpleNamespace(
        enabled=True, escalation=0.5, weight_per_year=2.4, guided_assessment=0.6, planning_shape=1.0,
        shortest_months=3.0)),
        institutions=SimpleNamespace(incentives=SimpleNamespace(penalty_threshold=0.8, nonbinding_assessment=0.3)))
    structure = SimpleNamespace(penalty=np.array([0.5, 0.5, 0.0]), drive=np.array([1.2, 1.0, 0.5]), scope=scope,
                                relevant=relevant)
    model = SimpleNamespace(params=params, state=state, timeline=timeline, structure=structure, n_regions=3,
                            n_innovations=4, complexity_drag=np.array([1.0, 0.5, 1.0, 0.8]),
                            innovations=SimpleNamespace(birth_years=np.zeros(4)))
    inputs = mandate.inputs(model, 6, np.arange(4, dtype=I64))
    rows, cols = pairs((1, 0), (2, 0), (0, 1), (2, 1), (1, 2), (0, 2), (1, 3))
    out = np.zeros(7)
    mandate.fill(out, rows, cols, *inputs)
    escalated = 1 + 0.5 * 0.375 / 1.0
    # k / (time left to the planned date), integrated exactly over the step and divided by its length
    assert out[0] == pytest.approx(math.log(0.75 / 0.5) / 0.25 * (1 + 0.5) * escalated)   # behind: penalty
    assert out[1] == pytest.approx(1 / 0.25 * escalated)     # past its planned date: the fastest pace 1/delta
    assert out[2] == pytest.approx(math.log(0.75 / (17 / 12 + 0.75 - 1.5)) / 0.25)   # from its issue, on track
    assert out[3] == 0.0                                     # out of scope
    assert out[4] == pytest.approx(2.4 * 1.0 * 1.0 * 0.3)    # recommended
    assert out[5] == 0.0                                     # recommended, but not relevant
    assert out[6] == pytest.approx(2.4 * 1.0 * 0.8 * 0.6 * (1 + 0.5 * 0.5))   # guided, half a deadline overdue


def test_the_plan_integral_is_exact_and_adds_up_over_steps():
    due, shortest = 2.0, 0.25
    whole = mandate.planned_integral(0.0, 3.0, due, shortest, 1.0)
    parts = sum(mandate.planned_integral(a, a + 0.1, due, shortest, 1.0) for a in np.arange(0.0, 3.0, 0.1))
    assert parts == pytest.approx(whole)
    # closed form: ln(due / shortest) until due - shortest, then 1/shortest per year
    assert whole == pytest.approx(math.log(2.0 / 0.25) + (3.0 - 1.75) / 0.25)
    assert mandate.planned_integral(0.0, 1.0, np.inf, shortest, 1.0) == 0.0


def test_historical_batches_keep_their_dates_at_any_step():
    from diffusion import make_parameters
    for step in ("month", "quarter", "year"):
        params = make_parameters({"time": {"step": step}})
        timeline = Timeline(params.time.start, step, params.time.steps)
        batches = [b for bs in mandate.build_schedule(params, timeline).by_step.values() for b in bs]
        first = min(b.years for b in batches if b.kind == "binding")
        assert first == pytest.approx(17 / 12)                # December 2014, 17 months after July 2013
        assert sum(b.size for b in batches if b.kind == "binding" and b.years < 10.5) == 167   # 7 batches by 2023


# ----------------------------------------------------------------------------------- institutions
def test_voluntary_factor_by_hand():
    # a_r (1 - FT_r) (1 + beta B_r): region 0 exposed 2 x 0.7 x (1 + 1 x 0.5); region 1 fully protected
    exposure = np.array([2 * 0.7 * 1.5, 0.0, 1.0])
    risk = np.array([0.4, 1.0])
    abandoned = np.zeros((3, 2), bool)
    abandoned[2, 1] = True
    out = np.zeros(4)
    relevant = np.ones((3, 2), bool)
    relevant[1, 0] = False
    institutions.voluntary_factor(out, *pairs((0, 0), (1, 1), (2, 0), (2, 1)), exposure, risk,
                                  np.array([1.0, 1.5, 1.0]), abandoned, relevant, np.array([1.0, 0.25]))
    # innovation 1 was born with a quarter of the step left: a quarter of the hazard's time
    assert out == pytest.approx([math.exp(-2.1 * 0.4), 1.5 * 0.25, math.exp(-0.4), 0.0])
    out = np.zeros(1)
    institutions.voluntary_factor(out, *pairs((1, 0)), exposure, risk, np.array([1.0, 1.5, 1.0]), abandoned,
                                  relevant, np.array([1.0, 0.25]))
    assert out[0] == 0.0   # not relevant to region 1: no voluntary adoption


# ---------------------------------------------------------------------------------------- failure
def test_outcomes_failure_correction_blame_and_reporting_by_hand():
    # no noise (risk 0): outcome = b fit q (1 + bonus) k^-psi; threshold 0
    n_regions, n_innovations = 3, 2
    adopted = np.ones((n_regions, n_innovations), bool)
    abandoned = np.zeros((n_regions, n_innovations), bool)
    blame, centre_sum, centre_count = np.zeros(3), np.zeros(2), np.zeros(2)
    rows, cols = pairs((0, 0), (1, 1), (2, 1))
    benefit, fit = np.array([0.5, -0.2]), np.ones((3, 2))
    quality, commerce, drag, domain = np.array([1.0, 2.0, 1.0]), np.array([True, False, False]), np.ones(2), np.array([True, False])
    correction = np.array([0.0, 1.0, 0.0])
    times = np.array([0.5, 0.75, 0.25])    # region 2 failed half a year (its blame's half-life) before the end
    outcome, failed, corrected, dropped, retried, mandated = failure.realise(
        rows, cols, times, streams.run_key(0, 0), 3, benefit, fit, np.zeros(2), quality, commerce, 0.1, drag, domain,
        correction, True, 0.0, np.array([0.3, 0.9, 0.3]), np.array([0.5, np.inf]), np.ones((3, 2), bool), 0.75, 0.5,
        np.array([True, False, False]), np.array([0, 2], I64), adopted, abandoned, blame, centre_sum, centre_count)
    assert outcome == pytest.approx([0.5 * 1.1, -0.4, -0.2])
    assert failed.tolist() == [False, True, True]
    # region 1 could correct (c = 1) but the reform itself does not work there (b fit Q < 0): abandoned
    assert corrected.tolist() == [False, False, False] and dropped.tolist() == [False, True, True]
    assert not retried.any()   # innovation 1 is not under a binding mandate: failures are abandoned
    assert not adopted[1, 1] and not adopted[2, 1] and abandoned[1, 1] and abandoned[2, 1]
    assert blame == pytest.approx([0.0, 0.1, 0.7 / 2])
    assert mandated.tolist() == [True, False, False]
    # reported: region 0 (feedback) and region 2, the origin of innovation 1; region 1 reports nothing
    assert centre_sum == pytest.approx([0.55, -0.2]) and centre_count.tolist() == [1.0, 1.0]


def test_blame_halves_in_its_half_life_whatever_the_step():
    assert failure.blame_retention(6.0, 0.25) == pytest.approx(2 ** -0.5)
    assert failure.blame_retention(6.0, 1 / 12) ** 6 == pytest.approx(0.5)
    assert failure.blame_retention(6.0, 0.5) == pytest.approx(0.5)


# ----------------------------------------------------------------------------------------- engine
def test_the_draw_turns_hazards_into_probabilities_and_shares():
    adopted = np.zeros((3, 2), bool)
    adopted[2, 0] = True
    step = np.zeros((3, 2), np.int32)
    rows, cols = engine.undecided(adopted, np.array([0, 1], I64))
    assert list(zip(rows.tolist(), cols.tolist())) == [(0, 0), (0, 1), (1, 0), (1, 1), (2, 1)]
    hazards = np.zeros((4, 5))
    hazards[0] = [1e6, 0.0, 0.0, 1e6, 0.0]     # spontaneous: certain for pairs 0 and 3
    hazards[3] = [3e6, 0.0, 0.0, 1e6, 0.0]     # mandate
    factor = np.array([1.0, 1.0, 1.0, 0.5, 1.0])   # halves pair 3's voluntary hazard
    key = streams.run_key(0, 0)
    chosen_rows, chosen_cols, shares, times = engine.decide(hazards, engine.VOLUNTARY, factor, rows, cols, key, 5,
                                                            1.0, 0.25, adopted, step)
    assert list(zip(chosen_rows.tolist(), chosen_cols.tolist())) == [(0, 0), (1, 1)]
    assert ((1.0 <= times) & (times < 1.0 + 1e-5)).all()   # a huge hazard fires at once
    assert shares[0] == pytest.approx([0.25, 0, 0, 0.75]) and shares[1] == pytest.approx([1 / 3, 0, 0, 2 / 3])
    assert adopted[0, 0] and adopted[1, 1] and step[0, 0] == 5 and not adopted[0, 1]


def test_the_adoption_probability_is_one_minus_exp_of_hazard_times_step():
    # one pair, hazard 0.8 a year at quarterly steps: 1 - exp(-0.2) of 20,000 independent (key, step) draws
    hits, times = 0, []
    for t in range(20_000):
        adopted = np.zeros((1, 1), bool)
        chosen = engine.decide(np.array([[0.8], [0.0], [0.0], [0.0]]), engine.VOLUNTARY, np.ones(1),
                               np.zeros(1, I64), np.zeros(1, I64), streams.run_key(1, 0), t, 0.0, 0.25, adopted,
                               np.zeros((1, 1), np.int32))
        hits += chosen[0].size
        times.extend(chosen[3])
    p = 1 - math.exp(-0.2)
    assert abs(hits / 20_000 - p) < 4 * math.sqrt(p * (1 - p) / 20_000)
    # given that it fired within the step, when: a truncated exponential, mean 1/l - dt e^(-l dt) / (1 - e^(-l dt))
    mean = 1 / 0.8 - 0.25 * math.exp(-0.2) / p
    assert abs(np.mean(times) - mean) < 4 * 0.25 / math.sqrt(12 * hits) and max(times) < 0.25


def test_outcomes_arrive_after_the_evidence_lag_on_average():
    # adoptions at 1.1 years, lag 0.25: arrival 1.35, between the starts of steps 6 (1.25) and 7 (1.5)
    n = 20_000
    rows, cols = np.arange(n, dtype=I64), np.zeros(n, I64)
    steps = engine.arrival_steps(rows, cols, np.full(n, 1.1), streams.run_key(0, 0), 5, 0.25, 0.25)
    assert set(steps.tolist()) == {6, 7}
    assert abs(((steps - 1) * 0.25).mean() - 1.35) < 0.005
    # a lag shorter than the step cannot deliver in the past: the next step at the earliest
    assert (engine.arrival_steps(rows[:10], cols[:10], np.full(10, 1.1), streams.run_key(0, 0), 5, 0.0, 0.25) == 6).all()


# -------------------------------------------------------------------------------------------- time
def test_calendar_conversions():
    from datetime import date
    quarter = Timeline(date(2013, 7, 1), "quarter", 48)
    month = Timeline(date(2013, 7, 1), "month", 144)
    week = Timeline(date(2013, 7, 1), "week", 626)
    assert quarter.years_of(date(2014, 12, 1)) == month.years_of(date(2014, 12, 1)) == pytest.approx(17 / 12)
    assert quarter.step_at(17 / 12) == 6 and month.step_at(17 / 12) == 18
    assert quarter.steps_in(12) == 4 and month.steps_in(12) == 12 and quarter.steps_in(9) == 3
    assert week.date_of(2) == date(2013, 7, 8) and week.label(1) == "2013-07-01" and quarter.label(6) == "2014Q4"
    assert quarter.dt == 0.25 and week.dt == pytest.approx(7 / 365.25)

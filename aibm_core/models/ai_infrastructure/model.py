"""Computation of the AI infrastructure / GPU cloud model: vectorised projection, unit economics and KPIs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from aibm_core.core import finance
from aibm_core.core.compute_cost import cost_per_m_tokens
from aibm_core.core.formatting import format_value
from aibm_core.models.ai_infrastructure.params import HOURS_PER_MONTH, USD_H, AiInfrastructureParams
from aibm_core.models.base import Column, Metric, MonthlyResult, Statement, declare_columns

#: Longest useful life the schema allows (10 years), in months: the window of a GPU's cash path.
MAX_LIFE_MONTHS = 120


@dataclass(frozen=True)
class AiInfrastructureResult(MonthlyResult):
    """Monthly arrays (shape: draws × months).

    Prices and costs ending in ``_per_hour`` are USD per GPU-hour (sold hours for
    prices, installed hours for costs); fleet money flows are USD per month.
    ``capex_payback_months`` and ``npv_per_gpu`` are indexed by the month a GPU is
    installed: its payback on the projected path (months, ``inf`` = never within its
    useful life) and its NPV at the financing rate (USD per GPU). ``debt_outstanding`` is
    the balance of the GPU loans at the end of each month (USD; :func:`debt_outstanding`).
    """

    params: AiInfrastructureParams
    months: np.ndarray
    installed_gpus: np.ndarray
    added_gpus: np.ndarray
    installed_gpu_hours: np.ndarray
    utilisation: np.ndarray
    sold_gpu_hours: np.ndarray
    on_demand_price: np.ndarray
    reserved_price: np.ndarray
    spot_price: np.ndarray
    multiyear_price: np.ndarray
    revenue_per_sold_hour: np.ndarray
    depreciation_per_hour: np.ndarray
    power_per_hour: np.ndarray
    dc_opex_per_hour: np.ndarray
    financing_per_hour: np.ndarray
    revenue: np.ndarray
    depreciation: np.ndarray
    power_cost: np.ndarray
    dc_opex: np.ndarray
    financing_cost: np.ndarray
    rd: np.ndarray
    expansion_capex: np.ndarray
    replacement_capex: np.ndarray
    capex_payback_months: np.ndarray
    npv_per_gpu: np.ndarray
    debt_outstanding: np.ndarray
    fleet_power_mw: np.ndarray
    backlog_months: np.ndarray

    def _revenue_of(self, contract: str) -> np.ndarray:
        """Revenue of one contract type: sold hours × its share × its price (USD per month)."""
        share = finance.along_months(getattr(self.params, f"{contract}_share"))
        return self.sold_gpu_hours * (share * getattr(self, f"{contract}_price"))

    @property
    def on_demand_revenue(self) -> np.ndarray:
        """Revenue of hours billed on demand (USD per month)."""
        return self._revenue_of("on_demand")

    @property
    def reserved_revenue(self) -> np.ndarray:
        """Revenue of hours billed under reserved contracts (USD per month)."""
        return self._revenue_of("reserved")

    @property
    def spot_revenue(self) -> np.ndarray:
        """Revenue of hours billed at spot prices (USD per month)."""
        return self._revenue_of("spot")

    @property
    def multiyear_revenue(self) -> np.ndarray:
        """Revenue of hours billed under multi-year contracts, the second reserved tier (USD per month)."""
        return self._revenue_of("multiyear")

    @property
    def multiyear_backlog_months(self) -> np.ndarray:
        """Average remaining term of the live multi-year contracts (months; :func:`backlog_months`)."""
        return backlog_months(self.params, self.sold_gpu_hours, self.params.multiyear_term_months)

    @property
    def undelivered_gpus(self) -> np.ndarray:
        """GPUs under signed contracts not yet live at the end of each month (GPUs).

        ``U_t = max(U_0 + (signed − delivered) t, 0)``: the book at the start of month 1, the
        new signings and the deliveries of each month (the recurrence
        ``U_t = max(U_{t-1} + signed − delivered, 0)`` with constant rates).
        """
        p = self.params
        m = finance.along_months
        net = m(p.signed_gpus_per_month) - m(p.signed_delivery_gpus_per_month)
        book = np.maximum(m(p.signed_undelivered_gpus) + net * self.months, 0.0)
        return np.broadcast_to(book, self.revenue.shape)

    @property
    def undelivered_backlog(self) -> np.ndarray:
        """Contract value of the signed, not yet live capacity (USD).

        Undelivered GPUs × hours per month × contract price × contract term: every hour of a
        dedicated contract is billed once the capacity goes live.
        """
        p = self.params
        m = finance.along_months
        value = m(p.signed_price_per_gpu_hour) * HOURS_PER_MONTH * m(p.signed_term_months)
        return self.undelivered_gpus * value

    @property
    def remaining_performance_obligations(self) -> np.ndarray:
        """Contracted revenue not yet recognised (USD): the live contracts' remaining terms plus
        the signed capacity not yet live (:attr:`contracted_backlog` + :attr:`undelivered_backlog`)."""
        return self.contracted_backlog + self.undelivered_backlog

    def _top_share(self, top: float) -> np.ndarray:
        """Share of revenue bought by the ``top`` largest customers (fraction, lognormal sizes)."""
        p = self.params
        share = finance.top_share(p.customer_count, top, p.customer_size_dispersion)
        return np.broadcast_to(finance.along_months(share), self.revenue.shape)

    @property
    def largest_customer_share(self) -> np.ndarray:
        """Share of revenue from the largest customer (fraction; :func:`finance.top_share`)."""
        return self._top_share(1.0)

    @property
    def top10_customer_share(self) -> np.ndarray:
        """Share of revenue from the ten largest customers (fraction; :func:`finance.top_share`)."""
        return self._top_share(10.0)

    @property
    def sga(self) -> np.ndarray:
        """SG&A: a share of revenue (USD per month)."""
        return self.revenue * finance.along_months(self.params.sga_share_of_revenue)

    @property
    def contracted_backlog(self) -> np.ndarray:
        """Revenue still to bill on the live reserved and multi-year contracts (USD).

        Each tier's revenue × the average remaining term of its live contracts.
        """
        backlog = self.reserved_revenue * self.backlog_months
        if np.any(np.asarray(self.params.multiyear_share) > 0):
            backlog = backlog + self.multiyear_revenue * self.multiyear_backlog_months
        return backlog

    @property
    def gpus_to_place(self) -> np.ndarray:
        """GPUs to place with customers: churned demand plus new capacity sold at target (GPUs per month)."""
        p = self.params
        m = finance.along_months
        churned = self.installed_gpus * self.utilisation * m(_monthly_loss(p.annual_retention))
        return churned + np.maximum(self.added_gpus, 0.0) * m(p.utilisation)

    @property
    def implied_price_per_m_tokens(self) -> np.ndarray:
        """Price per 1M tokens implied by the blended GPU-hour price at full use (USD per 1M tokens)."""
        tps = finance.along_months(self.params.tokens_per_second_per_gpu)
        return np.asarray(cost_per_m_tokens(self.revenue_per_sold_hour, tps, 1.0))

    @property
    def fleet_cost_per_m_tokens(self) -> np.ndarray:
        """Full cost per installed GPU-hour spread over the tokens of the sold share (USD per 1M tokens)."""
        tps = finance.along_months(self.params.tokens_per_second_per_gpu)
        return np.asarray(cost_per_m_tokens(self.cost_per_hour, tps, self.utilisation))

    @property
    def revenue_per_installed_hour(self) -> np.ndarray:
        """Blended price × utilisation (USD per installed GPU-hour)."""
        return self.revenue / self.installed_gpu_hours

    @property
    def cash_cost_per_hour(self) -> np.ndarray:
        """Power plus other data-centre opex (USD per installed GPU-hour)."""
        return self.power_per_hour + self.dc_opex_per_hour

    @property
    def cost_before_financing_per_hour(self) -> np.ndarray:
        """Depreciation plus cash operating cost (USD per installed GPU-hour)."""
        return self.depreciation_per_hour + self.cash_cost_per_hour

    @property
    def cost_per_hour(self) -> np.ndarray:
        """Full cost stack incl. financing (USD per installed GPU-hour)."""
        return self.cost_before_financing_per_hour + self.financing_per_hour

    @property
    def cost_stack_total(self) -> np.ndarray:
        """Fleet cost: depreciation + power + other opex + financing (USD per month)."""
        return self.depreciation + self.power_cost + self.dc_opex + self.financing_cost

    @property
    def gross_profit(self) -> np.ndarray:
        """Revenue − depreciation − power − other opex (USD per month)."""
        return self.revenue - self.depreciation - self.power_cost - self.dc_opex

    @property
    def operating_expenses(self) -> np.ndarray:
        """Corporate operating expenses: SG&A + R&D (USD per month)."""
        return self.sga + self.rd

    @property
    def operating_profit(self) -> np.ndarray:
        """EBIT: gross profit − SG&A − R&D (USD per month; financing is below it)."""
        return self.gross_profit - self.operating_expenses

    @property
    def operating_margin(self) -> np.ndarray:
        """Operating profit (EBIT) / revenue (fraction)."""
        return self.operating_profit / self.revenue

    @property
    def ebitda(self) -> np.ndarray:
        """Site-level EBITDA: revenue − power − other opex, before corporate opex (USD per month)."""
        return self.revenue - self.power_cost - self.dc_opex

    @property
    def corporate_ebitda(self) -> np.ndarray:
        """EBITDA after corporate opex: revenue − power − other opex − SG&A − R&D (USD per month).

        Operating profit (EBIT) plus depreciation; :attr:`ebitda` is the site-level figure
        before SG&A and R&D.
        """
        return self.revenue - self.power_cost - self.dc_opex - self.operating_expenses

    @property
    def corporate_ebitda_margin(self) -> np.ndarray:
        """EBITDA after SG&A and R&D / revenue (fraction)."""
        return self.corporate_ebitda / self.revenue

    @property
    def interest_expense(self) -> np.ndarray:
        """Interest on the GPU loans: the financing cost series (USD per month).

        Each installed GPU bears the average interest of its level-payment loan over its
        life (instalment − capex / life), as in the cost stack.
        """
        return self.financing_cost

    @property
    def profit_before_tax(self) -> np.ndarray:
        """Operating profit (EBIT) − interest expense (USD per month)."""
        return self.operating_profit - self.interest_expense

    @property
    def net_margin_before_tax(self) -> np.ndarray:
        """(Operating profit − interest expense) / revenue (fraction)."""
        return self.profit_before_tax / self.revenue

    @property
    def profit_after_financing(self) -> np.ndarray:
        """Fleet level: revenue − full cost stack, before corporate opex (USD per month)."""
        return self.revenue - self.cost_stack_total

    @property
    def gross_margin(self) -> np.ndarray:
        """Gross profit / revenue (fraction)."""
        return self.gross_profit / self.revenue

    @property
    def ebitda_margin(self) -> np.ndarray:
        """EBITDA / revenue (fraction)."""
        return self.ebitda / self.revenue

    @property
    def margin_after_financing(self) -> np.ndarray:
        """Fleet-level profit after financing / revenue, before corporate opex (fraction)."""
        return self.profit_after_financing / self.revenue

    @property
    def break_even_utilisation(self) -> np.ndarray:
        """Utilisation at which the gross margin is zero (fraction; above 1 means never)."""
        return self.cost_before_financing_per_hour / self.revenue_per_sold_hour

    @property
    def break_even_utilisation_full(self) -> np.ndarray:
        """Utilisation at which the margin after financing is zero (fraction)."""
        return self.cost_per_hour / self.revenue_per_sold_hour

    @property
    def ebitda_per_gpu_month(self) -> np.ndarray:
        """Monthly cash contribution of one installed GPU (USD per GPU per month)."""
        return (self.revenue_per_installed_hour - self.cash_cost_per_hour) * HOURS_PER_MONTH

    @property
    def capex(self) -> np.ndarray:
        """Cash spent on GPUs: expansion plus end-of-life replacement (USD per month)."""
        return self.expansion_capex + self.replacement_capex


#: Contract tiers of a sold GPU-hour: each has a ``<tier>_share`` and a ``<tier>_price_per_gpu_hour``.
TIERS = ("on_demand", "reserved", "spot", "multiyear")


def blended_price(
    on_demand: np.ndarray,
    reserved: np.ndarray,
    spot: np.ndarray,
    p: AiInfrastructureParams,
    multiyear: np.ndarray | float = 0.0,
) -> np.ndarray:
    """Price of a sold GPU-hour weighted by the contract mix (USD per GPU-hour; finance.blended_price).

    A tier without hours (share 0, as the multi-year tier by default) adds nothing.
    """
    m = finance.along_months
    prices = [on_demand, reserved, spot]
    shares = [m(p.on_demand_share), m(p.reserved_share), m(p.spot_share)]
    if np.any(np.asarray(p.multiyear_share) > 0):
        prices.append(multiyear)
        shares.append(m(p.multiyear_share))
    return finance.blended_price(prices, shares)


def cost_stack_per_hour(p: AiInfrastructureParams) -> dict[str, np.ndarray]:
    """Cost of one installed GPU-hour by component (USD per GPU-hour; months-independent).

    Depreciation is straight line over the useful life; power is IT power × PUE ×
    electricity price; other opex is spread over the hours of a month; financing is
    the average interest of a level-payment loan for the capex over the useful life
    (instalment − capex / life).
    """
    capex = np.asarray(p.capex_per_gpu_usd, dtype=float)
    life_months = 12.0 * np.asarray(p.useful_life_years, dtype=float)
    depreciation = finance.straight_line(capex, life_months)
    instalment = finance.level_payment(capex, finance.monthly_rate(p.annual_financing_rate), life_months)
    return {
        "depreciation": depreciation / HOURS_PER_MONTH,
        "power": np.asarray(p.power_kw_per_gpu) * np.asarray(p.pue) * np.asarray(p.electricity_usd_per_kwh),
        "dc_opex": np.asarray(p.dc_opex_per_gpu_month_usd, dtype=float) / HOURS_PER_MONTH,
        "financing": (instalment - depreciation) / HOURS_PER_MONTH,
    }


def _monthly_growth(p: AiInfrastructureParams) -> np.ndarray:
    """Fleet growth per month compounding to the quarterly growth (fraction per month)."""
    return (1.0 + np.asarray(p.quarterly_capacity_growth, dtype=float)) ** (1.0 / 3.0) - 1.0


def _per_month(quarterly: ArrayLike) -> np.ndarray:
    """Monthly growth compounding to a quarterly growth (fraction per month)."""
    return (1.0 + np.asarray(quarterly, dtype=float)) ** (1.0 / 3.0) - 1.0


def _monthly_loss(annual_keep: ArrayLike) -> np.ndarray:
    """Share lost each month when ``annual_keep`` survives a year (fraction per month)."""
    return 1.0 - np.asarray(annual_keep, dtype=float) ** (1.0 / 12.0)


def _draw_shape(p: AiInfrastructureParams) -> tuple[int, ...]:
    """Shape of the draws: the broadcast shape of every assumption (``()`` for scalars)."""
    return np.broadcast_shapes(*(np.shape(getattr(p, name)) for name in type(p).model_fields))


def fleet(p: AiInfrastructureParams, months: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Installed GPUs by month and GPUs added that month (none in month 1).

    The fleet grows by ``quarterly_capacity_growth`` per quarter, compounded monthly:
    ``G_t = G_1 (1 + g_q)^((t - 1) / 3)``.
    """
    gpus = finance.along_months(p.initial_gpus) * p.compounded(
        "quarterly_capacity_growth", months, _per_month
    )
    return gpus, np.diff(gpus, axis=-1, prepend=gpus[..., :1])


def with_linked_capex(p: AiInfrastructureParams) -> AiInfrastructureParams:
    """The parameters with the capex per GPU the cloud pays its linked hardware vendor, if linked.

    The model carries one capex per GPU for its whole fleet, so a linked price path (the
    vendor's net ASP plus the rest of the server, USD per GPU) is read in the snapshot month, the
    month every layer's figures describe. Unlinked parameters are returned unchanged.
    """
    if "capex_per_gpu_usd" not in p.linked:
        return p
    return p.vary(capex_per_gpu_usd=p.value_of("capex_per_gpu_usd"))


def contracted_fill(p: AiInfrastructureParams, months: int) -> np.ndarray:
    """Contracted demand as a share of the target book ``utilisation × installed GPUs`` (fraction).

    The book ``D`` starts full and evolves as
    ``D_t = min(u G_t, D_{t-1} (1 - max(c - ρ, 0)) + u max(G_t - G_{t-1}, 0))``: new
    capacity arrives sold at the target utilisation ``u``, customers leave at the monthly
    churn ``c = 1 - retention^(1/12)`` and the sales team re-sells up to
    ``ρ = 1 - (1 - annual_resale_capacity)^(1/12)`` of the book a month. Churn the sales
    team cannot replace leaves GPUs idle. In shares ``f = D / (u G)``:
    ``f_t = min(1, (f_{t-1} k + max(g, 0)) / (1 + g))`` with ``k = 1 - max(c - ρ, 0)``.

    Closed form (the rates are constant over the months): from ``f_1 = 1`` the book stays
    full when ``(k + max(g, 0)) / (1 + g) >= 1`` (in particular whenever ``c <= ρ``);
    otherwise the cap never binds again and the affine recurrence
    ``f_t = a f_{t-1} + b`` (``a = k / (1 + g) < 1``, ``b = max(g, 0) / (1 + g)``) gives
    ``f_t = f* + (1 - f*) a^(t-1)`` with the fixed point ``f* = b / (1 - a)``. Shape: the
    draws of growth, retention and resale capacity × months.
    """
    growth = finance.along_months(_monthly_growth(p))
    net_loss = _monthly_loss(p.annual_retention) - _monthly_loss(1.0 - np.asarray(p.annual_resale_capacity))
    keep = finance.along_months(1.0 - np.maximum(net_loss, 0.0))
    inflow = np.maximum(growth, 0.0)
    full = (keep + inflow) / (1.0 + growth) >= 1.0
    a = np.where(full, 0.0, keep / (1.0 + growth))
    fixed = np.where(full, 1.0, inflow / (1.0 + growth) / (1.0 - a))
    age = np.arange(int(months), dtype=float)
    return np.where(full, 1.0, fixed + (1.0 - fixed) * a**age)


def gpu_purchases(p: AiInfrastructureParams, added: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GPUs bought each month for expansion and to replace GPUs at the end of their life.

    Every GPU, the month-1 fleet included (taken as new), wears out ``L = ceil(12 × life)``
    months after it was installed and is replaced then, unless the fleet is shrinking:
    a shrinking fleet first lets worn-out GPUs go. With ``I_t`` the GPUs installed in month
    ``t`` (``I_1`` = the month-1 fleet) and ``a_t`` the change of the fleet:
    ``R_t = max(I_{t-L} + min(a_t, 0), 0)`` (0 while ``t <= L``) and
    ``I_t = max(a_t, 0) + R_t``. Month ``t`` only reads month ``t - L``, so the whole
    month axis is evaluated at once, once per multiple of ``L`` in the horizon (every pass
    makes ``L`` more months exact; at most ``horizon / 12`` passes, vectorised over draws
    and months).

    Returns
    -------
    (expansion, replacement)
        GPUs bought per month (GPUs per month), shape: the draws of ``added``, the life and
        the month-1 fleet × months.
    """
    added = np.asarray(added, dtype=float)
    horizon = added.shape[-1]
    life = finance.along_months(np.ceil(12.0 * np.asarray(p.useful_life_years, dtype=float)))
    initial = np.asarray(p.initial_gpus, dtype=float)
    shape = np.broadcast_shapes(added.shape, life.shape, (*np.shape(initial), 1))
    grow = np.broadcast_to(np.maximum(added, 0.0), shape)
    shrink = np.broadcast_to(np.minimum(added, 0.0), shape)
    source = (np.arange(horizon) - life).astype(np.intp)
    worn_out = source >= 0
    source = np.maximum(source, 0)
    if not worn_out.any():  # no GPU reaches the end of its life within the horizon
        return np.maximum(added, 0.0), np.zeros(shape)
    installed = grow.copy()
    installed[..., 0] = np.broadcast_to(initial, shape[:-1])
    replaced = np.zeros(shape)
    for _ in range(-(-(horizon - 1) // max(int(np.min(life)), 1))):
        worn = np.where(worn_out, _take_months(installed, source), 0.0)
        replaced = np.maximum(worn + shrink, 0.0)
        replaced[..., 0] = 0.0
        installed = grow + replaced
        installed[..., 0] = np.broadcast_to(initial, shape[:-1])
    return np.maximum(added, 0.0), replaced


def _take_months(values: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``values[..., index[..., t]]`` for every row (``np.take_along_axis`` on the last axis, by
    flat positions: one gather, without the per-axis index arrays)."""
    values = np.ascontiguousarray(values)
    rows = values.size // values.shape[-1]
    index = np.broadcast_to(index, (*values.shape[:-1], index.shape[-1]))
    offset = (np.arange(rows) * values.shape[-1]).reshape((*values.shape[:-1], 1))
    return np.take(values.reshape(-1), index + offset)


def _window_sum(prefix: np.ndarray, first: np.ndarray) -> np.ndarray:
    """``prefix_{t+1} - prefix_{first_t}`` for months ``t = 0 .. T-1``: sums of vintages ``first_t .. t``."""
    months = prefix.shape[-1] - 1
    first = np.broadcast_to(first, (*prefix.shape[:-1], months))
    return prefix[..., 1:] - _take_months(prefix, first)


def debt_outstanding(p: AiInfrastructureParams, purchased_gpus: np.ndarray) -> np.ndarray:
    """Balance of the GPU loans at the end of each month (USD), draws × months.

    Every GPU bought (``purchased_gpus`` per month: the month-1 fleet, taken as new, in month 1,
    then expansion and replacements) is financed in full at ``capex_per_gpu_usd`` by a
    level-payment loan at ``annual_financing_rate`` over its useful life
    (``n = 12 × useful_life_years`` instalments), the loan behind the cost stack's financing
    cost. The first instalment is paid at the end of the month of purchase, so at the end of
    month ``t`` the vintage of month ``s`` has paid ``k = t − s + 1`` and owes
    ``P_s (A − g^k) / (A − 1)`` with ``g = 1 + i``, ``A = g^n``
    (:func:`aibm_core.core.finance.loan_balance`), and nothing once ``k >= n``. A loan runs its
    schedule even if the fleet shrinks.

    Closed form over the month axis: the live vintages of month ``t`` are
    ``s = t + 1 − K .. t`` with ``K = ceil(n) − 1``, so with the window sums
    ``S_t = Σ P_s`` and ``Q_t = Σ P_s g^-s`` (prefix sums),
    ``debt_t = (A S_t − g^(t+1) Q_t) / (A − 1)``; at a zero rate (``P_s (1 − k / n)``)
    ``debt_t = S_t (1 − (t + 1) / n) + Σ P_s s / n``. The difference loses about
    ``2 ε / (n i)`` of relative precision (below 1e-11 for rates above 1e-4 a year).
    """
    purchased = np.asarray(purchased_gpus, dtype=float)
    principal = purchased * finance.along_months(p.capex_per_gpu_usd)
    rate = finance.along_months(finance.monthly_rate(p.annual_financing_rate))
    life = finance.along_months(12.0 * np.asarray(p.useful_life_years, dtype=float))
    horizon = principal.shape[-1]
    shape = np.broadcast_shapes(principal.shape, rate.shape, life.shape)
    principal = np.broadcast_to(principal, shape)
    vintage = np.arange(horizon, dtype=float)
    first = np.maximum(vintage + 1.0 - (np.ceil(life) - 1.0), 0.0).astype(np.intp)
    zero = rate == 0
    grown = 1.0 + np.where(zero, 1.0, rate)

    def window(weighted: np.ndarray) -> np.ndarray:
        prefix = np.zeros((*shape[:-1], horizon + 1))
        np.cumsum(weighted, axis=-1, out=prefix[..., 1:])
        return _window_sum(prefix, first)

    live = window(principal)
    total = grown**life
    with np.errstate(over="ignore", invalid="ignore"):
        levelled = (total * live - grown ** (vintage + 1.0) * window(principal * grown**-vintage)) / (
            total - 1.0
        )
    if not zero.any():
        return levelled
    straight = live * (1.0 - (vintage + 1.0) / life) + window(principal * vintage) / life
    return np.where(zero, straight, levelled)


def backlog_months(
    p: AiInfrastructureParams, sold_hours: np.ndarray, term_months: ArrayLike | None = None
) -> np.ndarray:
    """Average remaining term of the live reserved contracts, weighted by volume (months).

    Contracts run ``T = contract_term_months``. The month-1 book is taken as evenly aged, so
    its contracts have ``T / 2`` months left on average. Each month every live contract has
    one month less to run, and the ``1 / T`` of an evenly aged book that expires is signed
    again for ``T`` months: the two cancel, so the average holds. Reserved volume ``H``
    (reserved share × sold GPU-hours, the share being constant) that grows is signed for a
    full term; volume that shrinks leaves pro rata from every vintage, which keeps the
    average:

    ``M_1 = T / 2``;  ``M_t = (M_{t-1} min(H_t, H_{t-1}) + T max(H_t - H_{t-1}, 0)) / H_t``.

    Closed form: the shortfall ``T - M`` is scaled by ``H_{t-1} / H_t`` in a month of
    growth and kept in a month of decline, so
    ``M_t = T - (T / 2) Π_{j<=t} H_{j-1} / max(H_j, H_{j-1})``. A month with no volume
    (zero demand) leaves the average as it was, and volume after it is signed for a full
    term. ``M`` lies between ``T / 2`` and ``T``; ``T = 0`` gives 0. ``term_months`` is the
    tier's term (default: ``contract_term_months``, the reserved tier). Shape: draws × months.
    """
    term = finance.along_months(p.contract_term_months if term_months is None else term_months)
    hours = np.asarray(sold_hours, dtype=float)
    shortfall = np.ones(hours.shape)
    factor = shortfall[..., 1:]
    np.divide(hours[..., :-1], hours[..., 1:], out=factor, where=hours[..., 1:] > 0)  # H_{t-1} / H_t
    np.minimum(factor, 1.0, out=factor)  # 1 when the volume falls or a month sells nothing
    np.cumprod(factor, axis=-1, out=factor)
    return term - term / 2.0 * shortfall


#: Draws evaluated together by :func:`lifetime_economics` (their arrays stay in the L2 cache).
DRAW_BLOCK = 256


def _life_split(life_months: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Whole in-service months ``F`` and the in-service share ``φ`` of month ``F + 1``.

    A GPU with ``life_months`` of life is in service for the whole of its months
    ``1 .. F`` (weight 1), for ``φ = life - F`` of month ``F + 1`` and not after
    (``F = clip(floor(life), 0, 120)``, no partial month when ``F`` is the whole window).
    """
    whole = np.clip(np.floor(life_months), 0.0, MAX_LIFE_MONTHS)
    share = np.where(whole < MAX_LIFE_MONTHS, np.clip(life_months - whole, 0.0, 1.0), 0.0)
    return whole.astype(np.intp), share


def _at_offset(values: np.ndarray, offset: np.ndarray, cohorts: int) -> np.ndarray:
    """``values[i, s + offset_i]`` for cohorts ``s = 0 .. cohorts - 1`` (a slice when one offset)."""
    if offset.size == 1:
        first = int(offset.reshape(()))
        return values[:, first : first + cohorts]
    return np.take_along_axis(values, np.arange(cohorts) + offset[:, None], axis=-1)


def _last_short(
    prefix: np.ndarray, peak: np.ndarray, cost: np.ndarray, whole: np.ndarray, cohorts: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per draw and cohort ``s``: the last month ``m >= s`` before ``prefix_m - prefix_s`` reaches ``cost``.

    ``prefix`` is the cumulative cash (draws × months), ``peak`` its running maximum
    ``R_j = max(prefix_0 .. prefix_j)``, ``+inf`` in the padding columns after the path's
    last month (where the search may look, never the result). The test
    ``prefix_j - prefix_s >= cost`` is monotone in ``prefix_j``, so on ``R`` it holds from
    the first month it holds for ``prefix``, provided it does not already hold at ``R_s``
    (no earlier month lies a whole ``cost`` above ``prefix_s``). For those cohorts a
    branchless binary search on ``R`` (seven halvings for 120 months, vectorised over draws
    and cohorts) finds the month; the others (the cash fell by more than the cost since an
    earlier peak) scan their own window.

    Returns ``(last, found)``: the cost is first reached in month ``last + 1`` when ``found``
    (``last + 1 <= s + F``), and not within the ``F`` whole months of life otherwise. Indices
    are flat (row-major) in ``prefix``.
    """
    rows, width = prefix.shape
    cost = cost[:, None]
    start = np.arange(cohorts)
    anchor = prefix[:, :cohorts]
    base = (np.arange(rows) * width)[:, None]
    last = base + start  # flat index of the last month known not to reach the cost
    flat = peak.ravel()
    step = 1 << max(int(np.max(whole, initial=0)).bit_length() - 1, 0)
    while step:
        value = flat[last + step]
        value -= anchor
        short = value >= cost
        np.logical_not(short, out=short)
        np.add(last, step, out=last, where=short)
        step >>= 1
    early = (peak[:, :cohorts] - anchor) >= cost
    if early.any():
        row, col = np.nonzero(early)
        ages = np.arange(1, MAX_LIFE_MONTHS + 1)
        months = np.minimum(col[:, None] + ages, width - 1)
        hit = (prefix[row[:, None], months] - anchor[row, col][:, None]) >= cost[row % cost.shape[0]]
        hit &= ages <= whole[row % whole.shape[0]][:, None]
        last[row, col] = (
            base[row, 0] + col + np.where(hit.any(axis=-1), np.argmax(hit, axis=-1), MAX_LIFE_MONTHS)
        )
    return last, last - base < start + whole[:, None]


def _cohort_economics(
    cash: np.ndarray, capex: np.ndarray, life: np.ndarray, rate: np.ndarray, cohorts: int
) -> tuple[np.ndarray, np.ndarray]:
    """Payback and NPV of the cohorts of a block of draws (see :func:`lifetime_economics`).

    ``cash`` is draws × months; ``capex``, ``life`` (months) and ``rate`` (monthly) hold one
    value per draw or one for all.
    """
    rows, months = cash.shape
    whole, share = _life_split(life)
    width = max(months + 1, cohorts + 128)  # room for the binary search's last steps past the path
    padded = np.zeros((rows, width))  # zero cash after the path (weight 0 when F = 120)
    padded[:, :months] = cash
    prefix = np.zeros((rows, width))
    np.cumsum(cash, axis=-1, out=prefix[:, 1 : months + 1])
    peak = np.full((rows, width), np.inf)
    np.maximum.accumulate(prefix[:, : months + 1], axis=-1, out=peak[:, : months + 1])
    anchor = prefix[:, :cohorts]
    capex_ = capex[:, None]

    last, found = _last_short(prefix, peak, capex, whole, cohorts)
    before = prefix.ravel()[last] - anchor
    pace = padded.ravel()[last]
    whole_life = _at_offset(prefix, whole, cohorts) - anchor
    cash_end = _at_offset(padded, whole, cohorts)
    last_month = (whole_life + share[:, None] * cash_end) >= capex_
    months_before = last - (np.arange(rows) * width)[:, None] - np.arange(cohorts)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        payback = np.where(
            found,
            months_before + (capex_ - before) / np.where(pace > 0, pace, 1.0),
            np.where(
                last_month,
                whole[:, None] + (capex_ - whole_life) / np.where(cash_end > 0, cash_end, 1.0),
                np.inf,
            ),
        )

    growth = (1.0 + rate)[:, None]
    present = padded[:, : months + 1] * growth ** -np.arange(1.0, months + 2.0)
    discounted = np.zeros((rows, months + 1))
    np.cumsum(present[:, :months], axis=-1, out=discounted[:, 1:])
    inside = _at_offset(discounted, whole, cohorts) - discounted[:, :cohorts]
    tail = share[:, None] * _at_offset(present, whole, cohorts)
    npv = growth ** np.arange(cohorts) * (inside + tail) - capex_
    return payback, npv


def lifetime_months(p: AiInfrastructureParams) -> int:
    """Months of cash a GPU's life can read: the longest whole life ``F`` of any draw, plus its last
    partial month (``MAX_LIFE_MONTHS`` at most: a GPU living the whole window has no partial month)."""
    longest = np.floor(12.0 * np.max(np.asarray(p.useful_life_years, dtype=float)))
    return int(min(longest + 1.0, MAX_LIFE_MONTHS))


def lifetime_economics(
    p: AiInfrastructureParams, cash_per_gpu: np.ndarray, horizon: int
) -> tuple[np.ndarray, np.ndarray]:
    """Payback (months) and NPV (USD per GPU) of a GPU installed in each month 1..horizon.

    ``cash_per_gpu`` is the EBITDA per GPU-month on the projected price and utilisation
    path, extended beyond the horizon on the same rates by at least :func:`lifetime_months`
    less one (``MAX_LIFE_MONTHS - 1`` always suffices; later months are not read). A GPU
    installed in month ``s`` earns ``cash_per_gpu`` of months ``s .. s + life - 1``; its
    capex is paid at the start of month ``s`` and discounted at the financing rate.

    Closed forms over the month axis, no loop over cohorts (draws are taken in blocks of
    :data:`DRAW_BLOCK`). With ``c`` the cash path, ``F`` whole months of life and ``φ`` the
    in-service share of month ``F + 1``:

    * payback: with the prefix sums ``P_j = c_0 + ... + c_{j-1}``, the cumulative cash of
      cohort ``s`` after ``k + 1`` months is ``P_{s+k+1} - P_s``; the first ``k < F`` where
      it reaches the capex (found by :func:`_last_short`) gives
      ``k + (capex - (P_{s+k} - P_s)) / c_{s+k}``, else month ``F`` when
      ``P_{s+F} - P_s + φ c_{s+F}`` reaches it, else ``inf`` (never);
    * NPV: with the discounted prefix sums ``E_j = Σ_{i<j} c_i (1 + r)^-(i+1)``,
      ``(1 + r)^s (E_{s+F} - E_s + φ c_{s+F} (1 + r)^-(s+F+1)) - capex``.
    """
    cash = np.asarray(cash_per_gpu, dtype=float)
    capex = np.asarray(p.capex_per_gpu_usd, dtype=float)
    life = 12.0 * np.asarray(p.useful_life_years, dtype=float)
    rate = np.asarray(finance.monthly_rate(p.annual_financing_rate), dtype=float)
    width = horizon + lifetime_months(p) - 1  # months the last cohort's window reaches
    if cash.shape[-1] < width:
        raise ValueError(f"cash_per_gpu needs {width} months for {horizon} cohorts, got {cash.shape[-1]}")
    draws = np.broadcast_shapes(cash.shape[:-1], capex.shape, life.shape, rate.shape)
    rows = int(np.prod(draws))

    def per_draw(x: np.ndarray) -> np.ndarray:
        """One value per draw, or a single one when it is the same for all."""
        return x.reshape(1) if x.size == 1 else np.broadcast_to(x, draws).reshape(rows)

    cash = np.broadcast_to(cash[..., :width], (*draws, width)).reshape(rows, width)
    capex, life, rate = per_draw(capex), per_draw(life), per_draw(rate)
    payback = np.empty((rows, horizon))
    npv = np.empty((rows, horizon))
    for first in range(0, rows, DRAW_BLOCK):
        block = slice(first, first + DRAW_BLOCK)

        def part(x: np.ndarray, block: slice = block) -> np.ndarray:
            return x if x.size == 1 else x[block]

        payback[block], npv[block] = _cohort_economics(
            cash[block], part(capex), part(life), part(rate), horizon
        )
    return payback.reshape(*draws, horizon), npv.reshape(*draws, horizon)


def _months_above(floor: np.ndarray, values: np.ndarray) -> np.ndarray:
    """For each row of ``floor`` (non-increasing along its last axis) and each value ``v``:
    how many entries of the row are above ``v`` (rows × values, integers).

    The values are sorted once and each entry's position among them found by one binary
    search for all entries. A row's entries above the ``j``-th smallest value are then a
    prefix of the row whose length steps down at those positions, so each row of counts is
    built as runs (``F, F - 1, ..., 0``, between consecutive positions) and put back in the
    order of the values.
    """
    rows, length = floor.shape
    order = np.argsort(values, kind="stable")
    position = np.searchsorted(values[order], floor[:, ::-1].ravel(), side="left").reshape(rows, length)
    edges = np.zeros((rows, length + 2), dtype=np.intp)
    edges[:, 1:-1] = position  # ascending along each row: the floor is non-increasing
    edges[:, -1] = values.size
    runs = np.repeat(np.tile(np.arange(length, -1, -1), rows), np.diff(edges, axis=-1).ravel())
    rank = np.empty(values.size, dtype=np.intp)
    rank[order] = np.arange(values.size)
    return np.take(runs.reshape(rows, values.size), rank, axis=1)


def scaled_lifetime_economics(
    p: AiInfrastructureParams, scale: ArrayLike, unit_cash: np.ndarray, fixed_cash: np.ndarray, horizon: int
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`lifetime_economics` of the cash paths ``scale_i × unit_cash − fixed_cash``, one per draw ``i``.

    For draws that move only a factor of the cash (the target utilisation scales the hours
    sold) with one capex, life and rate for all: the per-draw work is a lookup instead of a
    path. ``unit_cash`` (> 0) and ``fixed_cash`` are single paths (USD per GPU-month).

    * NPV is linear in the cash: ``scale_i × NPV(unit) − NPV(fixed) − capex``, the two NPVs
      (capex 0) of :func:`lifetime_economics`.
    * Payback: cohort ``s`` has recovered the capex after ``k`` whole months when
      ``scale_i ΔU_sk − ΔF_sk >= capex`` (``ΔU``, ``ΔF``: the cumulative unit and fixed cash),
      i.e. ``scale_i >= θ_sk = (capex + ΔF_sk) / ΔU_sk``. The first such ``k`` is one plus the
      number of months whose running minimum of ``θ`` (non-increasing in ``k``) is still above
      ``scale_i``: a binary search per cohort over the draws. The payback is then interpolated
      in that month as in :func:`lifetime_economics`, and the last partial month (``φ`` of month
      ``F + 1``) is checked the same way.

    Returns
    -------
    (payback, npv)
        Shape: the draws of ``scale`` × ``horizon`` (months; USD per GPU).
    """
    scale = np.asarray(scale, dtype=float)
    u = scale.reshape(-1, 1)
    capex = np.asarray(p.capex_per_gpu_usd, dtype=float).item()
    life = 12.0 * np.asarray(p.useful_life_years, dtype=float).item()
    whole, phi = (x.item() for x in _life_split(np.array([life])))
    whole = int(whole)
    months = horizon + whole
    paths = np.zeros((2, months + 1))  # unit and fixed cash, a zero month after the last one read
    paths[0, : min(months, np.shape(unit_cash)[-1])] = np.asarray(unit_cash, dtype=float)[..., :months]
    paths[1, : min(months, np.shape(fixed_cash)[-1])] = np.asarray(fixed_cash, dtype=float)[..., :months]
    _, parts = lifetime_economics(
        p.vary(capex_per_gpu_usd=0.0), paths[:, : max(months, horizon + 1)], horizon
    )
    npv = u * parts[0]
    npv -= parts[1] + capex

    prefix = np.zeros((2, months + 2))
    np.cumsum(paths, axis=-1, out=prefix[:, 1:])
    start = np.arange(horizon)[:, None]
    reached = prefix[:, start + np.arange(whole + 1)] - prefix[:, start]  # 2 × cohorts × (0 .. F months)
    gained, spent = reached
    with np.errstate(divide="ignore", invalid="ignore"):
        threshold = np.where(gained > 0, (capex + spent) / gained, np.where(-spent >= capex, -np.inf, np.inf))
    floor = np.minimum.accumulate(threshold[:, 1:], axis=-1)  # cohorts × months 1 .. F, non-increasing
    before = _months_above(floor, u[:, 0])  # cohorts × draws: whole months short of the capex
    cohorts = np.arange(horizon)[:, None]
    at = before + cohorts * (whole + 1)  # cell (cohort, months before) of the cumulative tables
    owed = np.take(gained, at)
    owed *= u[:, 0]
    owed -= np.take(spent, at)
    np.subtract(capex, owed, out=owed)  # capex still owed after the whole months before
    month = np.add(before, cohorts, out=at)  # the month of the cohort the capex is reached in
    pace = np.take(paths[0], month)
    pace *= u[:, 0]
    pace -= np.take(paths[1], month)  # cash of that month
    within = before < whole
    within |= owed <= phi * pace  # or in the partial month F + 1
    pace[pace <= 0.0] = 1.0
    owed /= pace
    owed += before
    owed[~within] = np.inf
    payback = owed.T
    shape = (*scale.shape, horizon)
    return payback.reshape(shape), npv.reshape(shape)


def _prices(p: AiInfrastructureParams, months: np.ndarray) -> dict[str, np.ndarray]:
    """List prices of each contract type by month after the yearly decline (USD per GPU-hour)."""
    level = finance.annual_decline_factor(p.annual_price_decline, months)
    return {k: p.monthly(f"{k}_price_per_gpu_hour", months) * level for k in TIERS}


def _scaled_cash(p: AiInfrastructureParams, unit_cash: np.ndarray, cash_cost: np.ndarray) -> bool:
    """Whether the draws move only the target utilisation's factor of the cash path, with one
    capex, life and financing rate (:func:`scaled_lifetime_economics` applies)."""
    one = (p.capex_per_gpu_usd, p.useful_life_years, p.annual_financing_rate)
    return (
        np.ndim(p.utilisation) > 0
        and all(np.size(x) == 1 for x in (*one, cash_cost))
        and unit_cash.size == unit_cash.shape[-1]
        and bool(np.all(unit_cash > 0))
    )


def compute(p: AiInfrastructureParams) -> AiInfrastructureResult:
    """Project the GPU cloud month by month; any driver may be an array of draws.

    The price, fleet and demand paths run ``MAX_LIFE_MONTHS`` beyond the horizon so that
    a GPU installed in any month of the horizon is judged over its whole useful life.
    """
    m = finance.along_months
    p = with_linked_capex(p)
    horizon = int(p.horizon_months)
    extended = finance.month_index(horizon + lifetime_months(p) - 1)
    draws = _draw_shape(p)

    def within(x: np.ndarray) -> np.ndarray:
        """The months of the horizon (the months after it only serve the lifetime economics).

        Not broadcast over the draws: a series that does not depend on a drawn assumption
        stays one row until the result broadcasts it.
        """
        return np.asarray(x)[..., :horizon]

    gpus, added = fleet(p, extended)
    fill = contracted_fill(p, extended.size)
    prices = _prices(p, extended)
    price = blended_price(prices["on_demand"], prices["reserved"], prices["spot"], p, prices["multiyear"])
    stack = {k: m(v) for k, v in cost_stack_per_hour(p).items()}
    cash_cost = (stack["power"] + stack["dc_opex"]) * HOURS_PER_MONTH
    unit_cash = price * fill * HOURS_PER_MONTH
    if _scaled_cash(p, unit_cash, cash_cost):
        fixed = np.broadcast_to(cash_cost, unit_cash.shape)
        payback, npv = scaled_lifetime_economics(p, p.utilisation, unit_cash, fixed, horizon)
    else:
        payback, npv = lifetime_economics(p, unit_cash * m(p.utilisation) - cash_cost, horizon)
    expansion, replacement = gpu_purchases(p, within(added))
    purchased = expansion + replacement
    purchased = purchased + np.where(np.arange(horizon) == 0, m(p.initial_gpus), 0.0)
    prices = {k: within(v) for k, v in prices.items()}
    series = _fleet_series(p, within(gpus), within(added), within(fill), prices, within(price), stack)
    capex = m(p.capex_per_gpu_usd)
    return AiInfrastructureResult(
        params=p,
        months=extended[:horizon],
        **{k: np.broadcast_to(v, (*draws, horizon)) for k, v in series.items()},
        expansion_capex=np.broadcast_to(expansion * capex, (*draws, horizon)),
        replacement_capex=np.broadcast_to(replacement * capex, (*draws, horizon)),
        capex_payback_months=np.broadcast_to(payback, (*draws, horizon)),
        npv_per_gpu=np.broadcast_to(npv, (*draws, horizon)),
        debt_outstanding=np.broadcast_to(debt_outstanding(p, purchased), (*draws, horizon)),
    )


def _fleet_series(
    p: AiInfrastructureParams,
    gpus: np.ndarray,
    added: np.ndarray,
    fill: np.ndarray,
    prices: dict[str, np.ndarray],
    price: np.ndarray,
    stack: dict[str, np.ndarray],
) -> dict[str, np.ndarray]:
    """The fleet's monthly volumes, prices, revenues and costs (draws × months).

    ``fill`` is the contracted fill (:func:`contracted_fill`); realised utilisation is the
    target utilisation × fill.
    """
    m = finance.along_months
    installed_hours = gpus * HOURS_PER_MONTH
    utilisation = m(p.utilisation) * fill
    sold_hours = installed_hours * utilisation
    # the book's path without the target utilisation (a factor of each draw that cancels in
    # month-on-month ratios) when that has fewer draws than the sold hours
    unscaled = np.broadcast_shapes(installed_hours.shape, np.shape(fill))
    book = installed_hours * fill if np.prod(unscaled) < sold_hours.size else sold_hours
    return {
        "installed_gpus": gpus,
        "added_gpus": added,
        "installed_gpu_hours": installed_hours,
        "utilisation": utilisation,
        "sold_gpu_hours": sold_hours,
        "on_demand_price": prices["on_demand"],
        "reserved_price": prices["reserved"],
        "spot_price": prices["spot"],
        "multiyear_price": prices["multiyear"],
        "revenue_per_sold_hour": price,
        **{f"{k}_per_hour": v for k, v in stack.items()},
        "revenue": sold_hours * price,
        "depreciation": installed_hours * stack["depreciation"],
        "power_cost": installed_hours * stack["power"],
        "dc_opex": installed_hours * stack["dc_opex"],
        "financing_cost": installed_hours * stack["financing"],
        "rd": p.monthly("rd_per_month_usd", finance.month_index(gpus.shape[-1])),
        "fleet_power_mw": gpus * m(p.power_kw_per_gpu) * m(p.pue) / 1000.0,
        "backlog_months": backlog_months(p, book),
    }


def statement(r: AiInfrastructureResult) -> Statement:
    """The common monthly statement of the GPU cloud (USD per month unless named otherwise).

    Cost of revenue is depreciation + power + other data-centre opex, so the statement's
    gross margin equals the model's gross margin (after depreciation). Operating expenses
    are the corporate costs below gross profit: SG&A (a share of revenue) and R&D (a fixed
    amount per month), so operating profit is EBIT; financing cost is below EBIT and
    therefore not in the statement. Capex is the cash spent on GPUs: expansion plus
    end-of-life replacements. Volume: installed GPUs; north star: monthly revenue, the
    metric tree's root.
    """
    revenue = np.asarray(r.revenue)
    return Statement(
        revenue=revenue,
        cost_of_revenue=r.depreciation + r.power_cost + r.dc_opex,
        operating_expenses=np.asarray(r.operating_expenses),
        capex=np.asarray(r.capex),
        depreciation=np.asarray(r.depreciation),
        volume=np.asarray(r.installed_gpus),
        volume_label="Installed GPUs",
        volume_unit="GPUs",
        north_star=revenue,
        north_star_label="GPU-cloud revenue (monthly)",
        north_star_unit="USD per month",
        snapshot_month=int(r.params.snapshot_month),
    )


def power_runway_months(r: AiInfrastructureResult) -> np.ndarray | float:
    """Months from month 1 until the fleet's facility power exceeds the secured power.

    Closed form of ``P_1 (1 + g_m)^t = S``: ``ln(S / P_1) / ln(1 + g_m)``; ``inf`` when
    the fleet does not grow and fits, 0 when it does not fit even in month 1.
    """
    p = r.params
    first = np.asarray(r.fleet_power_mw)[..., 0]
    secured = np.asarray(p.secured_power_mw, dtype=float)
    growth = np.log1p(np.asarray(p.quarterly_capacity_growth, dtype=float)) / 3.0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        runway = np.log(secured / first) / np.where(growth > 0, growth, 1.0)
    out = np.where(secured < first, 0.0, np.where(growth > 0, runway, np.inf))
    return float(out) if np.ndim(out) == 0 else out


def kpis(r: AiInfrastructureResult) -> dict[str, Metric]:
    """Key figures of the snapshot month."""
    usd_m = "USD per 1M tokens"
    return {
        "revenue": Metric("GPU-cloud revenue (monthly)", r.at("revenue"), "USD per month"),
        "arr": Metric("Revenue run-rate", 12 * r.at("revenue"), "USD per year"),
        "installed_gpus": Metric("Installed GPUs", r.at("installed_gpus"), "GPUs"),
        "utilisation": Metric("GPU utilisation (realised)", r.at("utilisation"), "fraction"),
        "revenue_per_sold_hour": Metric(
            "Revenue per sold GPU-hour (blended)", r.at("revenue_per_sold_hour"), USD_H
        ),
        "revenue_per_installed_hour": Metric(
            "Revenue per installed GPU-hour", r.at("revenue_per_installed_hour"), USD_H
        ),
        "cost_per_hour": Metric("Full cost per installed GPU-hour", r.at("cost_per_hour"), USD_H),
        "depreciation_per_hour": Metric("  of which depreciation", r.at("depreciation_per_hour"), USD_H),
        "power_per_hour": Metric("  of which power", r.at("power_per_hour"), USD_H),
        "dc_opex_per_hour": Metric("  of which other data-centre opex", r.at("dc_opex_per_hour"), USD_H),
        "financing_per_hour": Metric("  of which financing", r.at("financing_per_hour"), USD_H),
        "gross_margin": Metric("Gross margin (after depreciation)", r.at("gross_margin"), "fraction"),
        "operating_expenses": Metric(
            "Operating expenses (SG&A + R&D)", r.at("operating_expenses"), "USD per month"
        ),
        "operating_margin": Metric("Operating (EBIT) margin", r.at("operating_margin"), "fraction"),
        "ebitda_margin": Metric("EBITDA margin (site level)", r.at("ebitda_margin"), "fraction"),
        "margin_after_financing": Metric(
            "Fleet margin after financing (before SG&A and R&D)", r.at("margin_after_financing"), "fraction"
        ),
        "corporate_ebitda": Metric(
            "EBITDA (after SG&A and R&D: operating profit + depreciation)",
            r.at("corporate_ebitda"),
            "USD per month",
        ),
        "corporate_ebitda_margin": Metric(
            "EBITDA margin (after SG&A and R&D)", r.at("corporate_ebitda_margin"), "fraction"
        ),
        "interest_expense": Metric(
            "Interest expense (GPU financing)", r.at("interest_expense"), "USD per month"
        ),
        "net_margin_before_tax": Metric(
            "Net margin before tax ((EBIT − interest) / revenue)", r.at("net_margin_before_tax"), "fraction"
        ),
        "debt_outstanding": Metric(
            "Debt outstanding (GPU loans, end of month)", r.at("debt_outstanding"), "USD"
        ),
        "break_even_utilisation": Metric(
            "Break-even utilisation (gross margin = 0)", r.at("break_even_utilisation"), "fraction"
        ),
        "break_even_utilisation_full": Metric(
            "Break-even utilisation (incl. financing)", r.at("break_even_utilisation_full"), "fraction"
        ),
        "ebitda_per_gpu_month": Metric(
            "Cash contribution per GPU", r.at("ebitda_per_gpu_month"), "USD per GPU per month"
        ),
        "capex_payback_months": Metric(
            "Capex payback of a GPU installed this month (projected path)",
            r.at("capex_payback_months"),
            "months",
        ),
        "npv_per_gpu": Metric(
            "NPV per GPU over its life (at the financing rate)", r.at("npv_per_gpu"), "USD per GPU"
        ),
        "implied_price_per_m_tokens": Metric(
            "Price per 1M tokens implied by the GPU-hour price", r.at("implied_price_per_m_tokens"), usd_m
        ),
        "fleet_cost_per_m_tokens": Metric(
            "Cost per 1M tokens on the fleet", r.at("fleet_cost_per_m_tokens"), usd_m
        ),
        "gpus_to_place": Metric(
            "GPUs to place with customers (churn + new capacity)", r.at("gpus_to_place"), "GPUs per month"
        ),
        "contracted_backlog": Metric(
            "Contracted backlog (live contracts' revenue still to bill)", r.at("contracted_backlog"), "USD"
        ),
        "backlog_months": Metric(
            "Average remaining term of reserved contracts", r.at("backlog_months"), "months"
        ),
        "undelivered_gpus": Metric(
            "GPUs under signed contracts, not yet live", r.at("undelivered_gpus"), "GPUs"
        ),
        "undelivered_backlog": Metric(
            "Contract value of signed capacity not yet live", r.at("undelivered_backlog"), "USD"
        ),
        "remaining_performance_obligations": Metric(
            "Remaining performance obligations (contracted revenue not yet recognised)",
            r.at("remaining_performance_obligations"),
            "USD",
        ),
        "largest_customer_share": Metric(
            "Revenue share of the largest customer", r.at("largest_customer_share"), "fraction"
        ),
        "top10_customer_share": Metric(
            "Revenue share of the ten largest customers", r.at("top10_customer_share"), "fraction"
        ),
        "fleet_power_mw": Metric("Facility power drawn", r.at("fleet_power_mw"), "MW"),
        "power_runway_months": Metric(
            "Months until secured power runs out", power_runway_months(r), "months"
        ),
    }


#: Columns of :func:`projection`: name -> label, unit and display scale.
PROJECTION_COLUMNS: dict[str, Column] = {
    "installed_gpus": Column("Installed GPUs", "GPUs"),
    "utilisation": Column("GPU utilisation", "fraction"),
    "sold_gpu_hours_m": Column("GPU-hours sold", "GPU-hours per month", 1e6),  # stored in millions
    "revenue_per_sold_hour": Column("Revenue per sold GPU-hour", "USD per GPU-hour"),
    "revenue_per_installed_hour": Column("Revenue per installed GPU-hour", "USD per GPU-hour"),
    "cost_per_hour": Column("Full cost per installed GPU-hour", "USD per GPU-hour"),
    "on_demand_revenue": Column("On demand revenue", "USD per month"),
    "reserved_revenue": Column("Reserved revenue", "USD per month"),
    "spot_revenue": Column("Spot revenue", "USD per month"),
    "multiyear_revenue": Column("Multi-year contract revenue", "USD per month"),
    "revenue": Column("Revenue", "USD per month"),
    "power_cost": Column("Power cost", "USD per month"),
    "dc_opex": Column("Other data-centre opex", "USD per month"),
    "ebitda": Column("EBITDA", "USD per month"),
    "depreciation": Column("Depreciation", "USD per month"),
    "gross_profit": Column("Gross profit", "USD per month"),
    "sga": Column("SG&A", "USD per month"),
    "rd": Column("R&D", "USD per month"),
    "operating_profit": Column("Operating profit (EBIT)", "USD per month"),
    "financing_cost": Column("Financing cost", "USD per month"),
    "profit_after_financing": Column("Profit after financing", "USD per month"),
    "corporate_ebitda": Column("EBITDA after SG&A and R&D", "USD per month"),
    "profit_before_tax": Column("Profit before tax (EBIT − interest)", "USD per month"),
    "debt_outstanding": Column("Debt outstanding (GPU loans)", "USD"),
    "expansion_capex": Column("Expansion capex", "USD per month"),
    "replacement_capex": Column("Replacement capex", "USD per month"),
    "capex": Column("Capital expenditure", "USD per month"),
    "capex_payback_months": Column("Capex payback", "months"),
    "npv_per_gpu": Column("NPV per GPU", "USD per GPU"),
    "gross_margin": Column("Gross margin", "fraction"),
    "operating_margin": Column("Operating margin", "fraction"),
    "ebitda_margin": Column("EBITDA margin", "fraction"),
    "corporate_ebitda_margin": Column("EBITDA margin after SG&A and R&D", "fraction"),
    "net_margin_before_tax": Column("Net margin before tax", "fraction"),
    "fleet_power_mw": Column("Facility power", "MW"),
    "contracted_backlog": Column("Contracted backlog (live reserved and multi-year contracts)", "USD"),
    "remaining_performance_obligations": Column("Remaining performance obligations", "USD"),
    "arr": Column("Revenue run-rate (ARR)", "USD per year"),
}


def projection(r: AiInfrastructureResult) -> pd.DataFrame:
    """Monthly projection for scalar parameters, columns declared in :data:`PROJECTION_COLUMNS`."""
    frame = pd.DataFrame(
        {
            "installed_gpus": r.installed_gpus,
            "utilisation": r.utilisation,
            "sold_gpu_hours_m": r.sold_gpu_hours / 1e6,
            "revenue_per_sold_hour": r.revenue_per_sold_hour,
            "revenue_per_installed_hour": r.revenue_per_installed_hour,
            "cost_per_hour": r.cost_per_hour,
            "on_demand_revenue": r.on_demand_revenue,
            "reserved_revenue": r.reserved_revenue,
            "spot_revenue": r.spot_revenue,
            "multiyear_revenue": r.multiyear_revenue,
            "revenue": r.revenue,
            "power_cost": r.power_cost,
            "dc_opex": r.dc_opex,
            "ebitda": r.ebitda,
            "depreciation": r.depreciation,
            "gross_profit": r.gross_profit,
            "sga": r.sga,
            "rd": r.rd,
            "operating_profit": r.operating_profit,
            "financing_cost": r.financing_cost,
            "profit_after_financing": r.profit_after_financing,
            "corporate_ebitda": r.corporate_ebitda,
            "profit_before_tax": r.profit_before_tax,
            "debt_outstanding": r.debt_outstanding,
            "expansion_capex": r.expansion_capex,
            "replacement_capex": r.replacement_capex,
            "capex": r.capex,
            "capex_payback_months": r.capex_payback_months,
            "npv_per_gpu": r.npv_per_gpu,
            "gross_margin": r.gross_margin,
            "operating_margin": r.operating_margin,
            "ebitda_margin": r.ebitda_margin,
            "corporate_ebitda_margin": r.corporate_ebitda_margin,
            "net_margin_before_tax": r.net_margin_before_tax,
            "fleet_power_mw": r.fleet_power_mw,
            "contracted_backlog": r.contracted_backlog,
            "remaining_performance_obligations": r.remaining_performance_obligations,
            "arr": 12 * r.revenue,
        },
        index=pd.Index(r.months.astype(int), name="month"),
    )
    return declare_columns(frame, PROJECTION_COLUMNS, "ai_infrastructure")


#: Realised utilisations the GPU-hours-to-tokens table shows besides break-even and this month.
UTILISATION_GRID = (0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)

#: Columns of :func:`utilisation_economics`: name -> label and unit.
UTILISATION_COLUMNS: dict[str, Column] = {
    "utilisation": Column("Realised utilisation", "fraction"),
    "gross_margin": Column("Gross margin", "fraction"),
    "operating_margin": Column("Operating margin", "fraction"),
    "margin_after_financing": Column("Fleet margin after financing", "fraction"),
    "fleet_cost_per_m_tokens": Column("Cost per 1M tokens on the fleet", "USD per 1M tokens"),
    "flat_payback_months": Column("Capex payback at this month's cash, held flat", "months"),
}


def utilisation_economics(r: AiInfrastructureResult, grid: ArrayLike = UTILISATION_GRID) -> pd.DataFrame:
    """The snapshot month's unit economics at other *realised* utilisations (scalar parameters).

    The break-even utilisation (:attr:`AiInfrastructureResult.break_even_utilisation`) is
    on realised utilisation, so this table varies realised utilisation ``u`` too, holding the
    month's prices, cost stack, fleet and corporate opex. Per installed GPU-hour, revenue is
    ``price × u`` while the cost stack does not move, so
    ``gross margin = 1 - cost before financing / (price × u)`` (0 at break-even),
    ``operating margin = 1 - SG&A share - (cost before financing + R&D per installed hour) / (price × u)``,
    fleet margin after financing uses the full cost per hour, the cost per 1M tokens spreads
    the full cost over the tokens of the sold share, and the payback divides the capex per
    GPU by the month's cash contribution ``(price × u - cash cost) × hours per month``
    (``inf`` = never). Rows: ``grid``, the break-even utilisation when it is at most 1 and
    the month's realised utilisation, in ascending order; ``note`` names the last two.

    Returns
    -------
    pandas.DataFrame
        One row per utilisation, columns declared in :data:`UTILISATION_COLUMNS` plus ``note``.
    """
    price = float(r.at("revenue_per_sold_hour"))
    before_financing = float(r.at("cost_before_financing_per_hour"))
    full_cost = float(r.at("cost_per_hour"))
    cash_cost = float(r.at("cash_cost_per_hour"))
    rd_per_hour = float(r.at("rd")) / (float(r.at("installed_gpus")) * HOURS_PER_MONTH)
    p = r.params
    break_even = float(r.at("break_even_utilisation"))
    realised = float(r.at("utilisation"))
    notes = {realised: "this month"}
    if break_even <= 1.0:
        notes[break_even] = "break-even (gross margin = 0)"
    levels = sorted({*(float(u) for u in np.atleast_1d(grid)), *notes})
    u = np.array(levels)
    revenue = price * u  # USD per installed GPU-hour
    frame = pd.DataFrame(
        {
            "utilisation": u,
            "gross_margin": 1.0 - before_financing / revenue,
            "operating_margin": 1.0
            - float(p.sga_share_of_revenue)
            - (before_financing + rd_per_hour) / revenue,
            "margin_after_financing": 1.0 - full_cost / revenue,
            "fleet_cost_per_m_tokens": cost_per_m_tokens(full_cost, float(p.tokens_per_second_per_gpu), u),
            "flat_payback_months": finance.payback_months(
                float(p.capex_per_gpu_usd), (revenue - cash_cost) * HOURS_PER_MONTH
            ),
            "note": [notes.get(level, "") for level in levels],
        }
    )
    return declare_columns(frame, {**UTILISATION_COLUMNS, "note": Column("Note", "")}, "ai_infrastructure")


def utilisation_table(r: AiInfrastructureResult, grid: ArrayLike = UTILISATION_GRID) -> pd.DataFrame:
    """:func:`utilisation_economics` for reading: every cell formatted by its unit, labelled columns.

    Percentages for utilisation and margins, money per 1M tokens, months (``never`` when the
    month's cash never pays the GPU back).
    """
    numbers = utilisation_economics(r, grid)
    table = pd.DataFrame(
        {
            column.label: [format_value(v, column.unit) for v in numbers[name]]
            for name, column in UTILISATION_COLUMNS.items()
        }
    )
    table[""] = numbers["note"].to_numpy()
    return table.set_index(UTILISATION_COLUMNS["utilisation"].label)

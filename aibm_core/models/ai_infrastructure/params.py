"""Assumptions of the AI infrastructure / GPU cloud model: units, ranges, meanings and sources."""

from __future__ import annotations

from pydantic import model_validator

from aibm_core.core.config import DAYS_PER_MONTH
from aibm_core.core.params import (
    ANALYST,
    ProjectionParams,
    assumption,
    horizon_assumption,
    min_gross_margin_assumption,
)

SEED2 = "seed 002 (AI infrastructure)"
SEED3 = "seed 003 (revenue pyramid: compute leasing)"
COREWEAVE_S1 = "CoreWeave, Inc., Form S-1 registration statement (filed 2025-03-03)"
COREWEAVE_10Q = "CoreWeave, Inc., Form 10-Q for the quarter ended 30 September 2025 (filed November 2025)"
#: Hours in an average month (24 × 365.25 / 12 = 730.5).
HOURS_PER_MONTH = 24.0 * DAYS_PER_MONTH
#: Hours in an average year (8,766).
HOURS_PER_YEAR = 12.0 * HOURS_PER_MONTH
MIX_TOLERANCE = 1e-6
USD_H = "USD per GPU-hour"


class AiInfrastructureParams(ProjectionParams):
    """Assumptions of the GPU-cloud model (defaults: base scenario)."""

    base_correlations = (
        (
            "on_demand_price_per_gpu_hour",
            "reserved_price_per_gpu_hour",
            0.7,
            "analyst judgement: on-demand and reserved prices are set in the same GPU-hour market",
        ),
        (
            "utilisation",
            "annual_price_decline",
            -0.4,
            "analyst judgement: an overbuilt market shows up as idle GPUs and falling prices together",
        ),
        (
            "utilisation",
            "on_demand_price_per_gpu_hour",
            0.3,
            "analyst judgement: scarce capacity fills the fleet and holds on-demand prices up",
        ),
        (
            "annual_price_decline",
            "useful_life_years",
            -0.3,
            "analyst judgement: a faster GPU cadence both cuts rental prices and shortens economic life",
        ),
    )

    # --- fleet and capital
    initial_gpus: float = assumption(
        20000.0,
        unit="GPUs",
        ge=1,
        le=1e8,
        meaning="GPUs installed and rentable in month 1 (taken as new: they wear out after the useful life)",
        source=ANALYST,
    )
    quarterly_capacity_growth: float = assumption(
        0.10,
        unit="fraction per quarter",
        ge=-0.5,
        le=2,
        meaning="Growth of the installed fleet each quarter (compounded monthly)",
        source=f"{SEED2}: capacity growth quarter over quarter ({ANALYST})",
        base_range={"low": 0.02, "high": 0.18},
        range_source=(
            f"{SEED2}: capacity growth quarter over quarter (analyst judgement: bear 3%, bull 15%; "
            "power and financing cap the upper tail)"
        ),
        schedule=True,
    )
    capex_per_gpu_usd: float = assumption(
        35000.0,
        unit="USD per GPU",
        ge=1000,
        le=1e6,
        meaning=(
            "Capex per GPU incl. its share of server, network, storage and building"
            " (the stack links it to the hardware vendor's net ASP in the snapshot month "
            "+ non_accelerator_capex_per_gpu_usd: "
            "this value is used when a scenario is unlinked or sets it)"
        ),
        source=f"{SEED3}: capital-intensive; H100 HGX servers, 2024-25: about $30-40K per GPU all-in",
        base_range={"low": 28000.0, "high": 45000.0},
        range_source=(
            "H100 HGX servers, 2024-25: about $30-40K per GPU all-in, widened for network fabric "
            "and building costs (analyst judgement)"
        ),
        as_of="2025-01",
    )
    non_accelerator_capex_per_gpu_usd: float = assumption(
        14100.0,
        unit="USD per GPU",
        ge=0,
        le=1e6,
        meaning=(
            "Rest of the installed server per GPU (host CPUs, memory, network, storage, building) "
            "when the accelerator is bought from the linked hardware vendor: capex per GPU is then "
            "the vendor's net ASP plus this"
        ),
        source=(
            "derived: capex_per_gpu_usd's $35K per GPU all-in (H100 HGX servers, 2024-25) less the "
            "hardware vendor's base net ASP in month 12 (about $20.9K)"
        ),
        as_of="2025-01",
    )
    useful_life_years: float = assumption(
        5.0,
        unit="years",
        ge=1,
        le=10,
        meaning="Depreciation life of a GPU before it is obsolete (straight line)",
        source=f"{SEED2}: obsolescence risk; GPU clouds and hyperscalers depreciate over 5-6 years (2024)",
        base_range={"dist": "pert", "low": 3.0, "mode": 5.0, "high": 6.0},
        range_source=(
            f"{SEED2}: obsolescence risk; GPU clouds and hyperscalers depreciate over 5-6 years (2024), "
            "the economic life may be nearer 3 with a new GPU generation every ~2 years (analyst judgement)"
        ),
    )
    annual_financing_rate: float = assumption(
        0.10,
        unit="fraction per year",
        ge=0,
        le=0.5,
        meaning="Interest rate on the debt funding the capex (level-payment loan over the useful life)",
        source="analyst assumption; GPU-backed loans of specialist clouds, 2024: roughly 9-14% per year",
    )
    # --- power and data centre
    power_kw_per_gpu: float = assumption(
        1.2,
        unit="kW per GPU",
        ge=0.1,
        le=10,
        meaning="IT power drawn per GPU incl. its share of CPU, memory and network",
        source="NVIDIA H100 SXM, 2023: 0.7 kW per GPU; DGX H100 about 10.2 kW per 8 GPUs",
    )
    pue: float = assumption(
        1.3,
        unit="ratio",
        ge=1,
        le=3,
        meaning="Power usage effectiveness: facility power / IT power (cooling overhead)",
        source=f"{SEED2}: power and cooling; modern data centres, 2024: PUE about 1.2-1.4",
    )
    electricity_usd_per_kwh: float = assumption(
        0.08,
        unit="USD per kWh",
        ge=0,
        le=1,
        meaning="Price of electricity delivered to the site",
        source="US EIA, 2024: average industrial electricity price about $0.08 per kWh",
        as_of="2024-01",
    )
    dc_opex_per_gpu_month_usd: float = assumption(
        200.0,
        unit="USD per GPU per month",
        ge=0,
        le=1e5,
        meaning="Other data-centre opex per GPU: space, network, staff, maintenance, insurance",
        source=ANALYST,
        as_of="2026-11-22",
    )
    # --- corporate operating expenses (below gross profit)
    sga_share_of_revenue: float = assumption(
        0.07,
        unit="fraction of revenue",
        ge=0,
        le=1,
        meaning="Sales, marketing, general and administrative expenses as a share of revenue",
        source=(
            f"{COREWEAVE_10Q}: sales and marketing 1% and general and administrative 6% of revenue "
            "in Q3 2024 (3% and 11% in Q3 2025, after the IPO's stock-based compensation)"
        ),
    )
    rd_per_month_usd: float = assumption(
        1.5e6,
        unit="USD per month",
        ge=0,
        le=1e9,
        meaning="Research and development of the cloud software (scheduling, storage, networking), "
        "fixed: it does not grow with the fleet",
        source=(
            f"analyst assumption: ~40 engineers at ~$450K a year fully loaded; {COREWEAVE_10Q} shows no "
            "separate R&D line (it sits in technology and infrastructure, with depreciation), so no listed "
            "GPU cloud reports it on its own"
        ),
        schedule=True,
    )
    # --- demand and prices
    utilisation: float = assumption(
        0.75,
        unit="fraction",
        ge=0.05,
        le=1,
        meaning="Target utilisation: sold share of installed GPU-hours while the contracted book is full",
        source=f"{SEED2}: GPU utilisation ({ANALYST}; below 5% a fleet is not a business)",
        base_range={"low": 0.55, "high": 0.9},
        range_source=(
            f"{SEED2}: >80% target for profitability (analyst judgement: bear 60% in an overbuild, "
            "bull 90% while demand outruns supply)"
        ),
    )
    on_demand_price_per_gpu_hour: float = assumption(
        2.99,
        unit=USD_H,
        ge=0.1,
        le=100,
        meaning="List price of an on-demand H100-class GPU-hour",
        source="H100 on-demand at GPU clouds, 2025: about $2-3.5 per GPU-hour (e.g. Lambda $2.99)",
        base_range={"low": 2.2, "high": 4.0},
        range_source=(
            "H100 on-demand list prices at GPU clouds, 2024-25: about $2-4 per GPU-hour (e.g. Lambda $2.99)"
        ),
        schedule=True,
        as_of="2025-01",
    )
    reserved_price_per_gpu_hour: float = assumption(
        2.20,
        unit=USD_H,
        ge=0.1,
        le=100,
        meaning="Price of a GPU-hour under a reserved / multi-year contract",
        source=f"{SEED2}: long-term contracts; 2025 multi-year H100 reservations about $1.9-2.4 per GPU-hour",
        base_range={"low": 1.7, "high": 2.8},
        range_source=(
            "2025 multi-year H100 reservations about $1.9-2.4 per GPU-hour, widened for contract "
            "length and buyer size (analyst judgement; bear 1.95, bull 2.40)"
        ),
        schedule=True,
        as_of="2025-01",
    )
    spot_price_per_gpu_hour: float = assumption(
        1.60,
        unit=USD_H,
        ge=0.1,
        le=100,
        meaning="Price of an interruptible (spot) GPU-hour",
        source=f"{ANALYST}; floor $0.10: below any 2025 rental price of a data-centre GPU",
        schedule=True,
        as_of="2026-11-22",
    )
    on_demand_share: float = assumption(
        0.25, unit="fraction", ge=0, le=1, meaning="Share of sold GPU-hours billed on demand", source=ANALYST
    )
    reserved_share: float = assumption(
        0.65,
        unit="fraction",
        ge=0,
        le=1,
        meaning="Share of sold GPU-hours billed under reserved contracts",
        source=f"{SEED2}: long-term contracts give revenue visibility ({ANALYST})",
    )
    spot_share: float = assumption(
        0.10,
        unit="fraction",
        ge=0,
        le=1,
        meaning="Share of sold GPU-hours billed at spot prices",
        source=ANALYST,
    )
    multiyear_share: float = assumption(
        0.0,
        unit="fraction",
        ge=0,
        le=1,
        meaning=(
            "Share of sold GPU-hours billed under multi-year take-or-pay contracts: a second reserved "
            "tier with its own price and term (0: the single reserved tier)"
        ),
        source=(
            f"{COREWEAVE_S1}: committed contracts of two to five years made up 96% of 2024 revenue; "
            f"base keeps one reserved tier ({ANALYST})"
        ),
    )
    multiyear_price_per_gpu_hour: float = assumption(
        2.00,
        unit=USD_H,
        ge=0.1,
        le=100,
        meaning="Price of a GPU-hour under a multi-year contract (falls yearly like every tier)",
        source=(
            "H100 three-year reservations at GPU clouds, 2025: about $1.8-2.2 per GPU-hour, below "
            "one-year terms (analyst reading of public price lists)"
        ),
        as_of="2025-06",
    )
    multiyear_term_months: float = assumption(
        48.0,
        unit="months",
        ge=0,
        le=120,
        meaning="Length of a multi-year contract (drives its share of the backlog)",
        source=f"{COREWEAVE_S1}: committed contracts typically run two to five years",
    )
    signed_undelivered_gpus: float = assumption(
        0.0,
        unit="GPUs",
        ge=0,
        le=1e8,
        meaning="GPUs under signed contracts not yet live at the start of month 1 (delivered later)",
        source=f"{ANALYST}; a cloud that only sells capacity it has installed signs none ahead",
    )
    signed_gpus_per_month: float = assumption(
        0.0,
        unit="GPUs per month",
        ge=0,
        le=1e7,
        meaning="GPUs newly contracted each month for later delivery (added to the undelivered book)",
        source=ANALYST,
    )
    signed_delivery_gpus_per_month: float = assumption(
        0.0,
        unit="GPUs per month",
        ge=0,
        le=1e7,
        meaning=(
            "Signed GPUs going live each month until the undelivered book is empty (they are part of "
            "the fleet's growth, which quarterly_capacity_growth sets)"
        ),
        source=ANALYST,
    )
    signed_price_per_gpu_hour: float = assumption(
        2.50,
        unit=USD_H,
        ge=0.1,
        le=100,
        meaning="Contract price of a GPU-hour of the signed, not yet live capacity (billed on every hour)",
        source=(
            "multi-year contracts for new NVIDIA Hopper / Blackwell clusters, 2024-25: about $2-3.5 "
            "per GPU-hour (analyst reading of public reservation prices)"
        ),
        as_of="2025-03-03",
    )
    signed_term_months: float = assumption(
        48.0,
        unit="months",
        ge=0,
        le=120,
        meaning="Length of the contracts of the signed, not yet delivered capacity",
        source=f"{COREWEAVE_S1}: committed contracts typically run two to five years",
    )
    customer_count: float = assumption(
        200.0,
        unit="customers",
        ge=1,
        le=1e7,
        meaning="Paying customers of the cloud (for customer concentration)",
        source=ANALYST,
    )
    customer_size_dispersion: float = assumption(
        1.5,
        unit="sigma of log revenue per customer",
        ge=0,
        le=5,
        meaning=(
            "Spread of revenue per customer (lognormal sigma): 0 = equal customers; about 2.5 "
            "lets one of 100 customers buy 60% of the revenue"
        ),
        source=f"{ANALYST}; enterprise software revenue per customer has sigma about 1.5",
    )
    annual_price_decline: float = assumption(
        0.10,
        unit="fraction per year",
        ge=0,
        le=0.9,
        meaning="Yearly fall of GPU-hour prices as newer GPU generations arrive",
        source=f"{SEED2}: GPU generations change rapidly ({ANALYST})",
        base_range={"low": 0.03, "high": 0.3},
        range_source=(
            f"{SEED2}: GPU generations change rapidly (analyst judgement: bull 5%, bear 20%; the steep "
            "2023-24 fall of H100 rental prices as supply caught up argues for a fat upper tail)"
        ),
    )
    contract_term_months: float = assumption(
        24.0,
        unit="months",
        ge=0,
        le=120,
        meaning="Average length of a reserved contract (drives the contracted backlog)",
        source=ANALYST,
    )
    annual_retention: float = assumption(
        0.96,
        unit="fraction per year",
        ge=0.5,
        le=1,
        meaning="Share of customers (and their GPU demand) still buying a year later",
        source=f"{SEED2}: retention above 95% a year (moving workloads between clouds is costly)",
        base_range={"low": 0.92, "high": 0.985},
        range_source=f"{SEED2}: retention >95% a year (analyst judgement: bear 90%, bull 98%)",
    )
    annual_resale_capacity: float = assumption(
        0.05,
        unit="fraction per year",
        ge=0,
        le=0.5,
        meaning="Share of the contracted book the sales team can re-sell in a year to replace churned demand",
        source=f"{SEED2}: >95% annual retention; sales sized to keep the book full at that churn ({ANALYST})",
    )
    # --- compute-cost bridge
    tokens_per_second_per_gpu: float = assumption(
        1000.0,
        unit="tokens per second per GPU",
        ge=1,
        le=1e6,
        meaning="Throughput of one busy GPU serving an open ~70B model (batched, blended in/out)",
        source=ANALYST,
    )
    # --- horizon (the snapshot month comes from ProjectionParams)
    horizon_months: int = horizon_assumption(60)  # five years: the useful life of a GPU
    secured_power_mw: float = assumption(
        60.0,
        unit="MW",
        ge=0,
        le=1e5,
        meaning="Observed facility power contracted and available to the fleet",
        source=f"{SEED2}: power and cooling constraints limit expansion ({ANALYST})",
        role="observed",
    )
    pipeline_gpus: float = assumption(
        8000.0,
        unit="GPUs",
        ge=0,
        le=1e8,
        meaning="Observed GPUs requested by prospects in the sales pipeline",
        source=ANALYST,
        role="observed",
    )
    # --- guardrail limits
    min_utilisation: float = assumption(
        0.80,
        unit="fraction",
        ge=0,
        le=1,
        meaning="Guardrail: lowest acceptable utilisation",
        source=f"{SEED2}: >80% target for profitability",
        role="limit",
    )
    min_annual_retention: float = assumption(
        0.95,
        unit="fraction per year",
        ge=0,
        le=1,
        meaning="Guardrail: lowest acceptable annual customer retention",
        source=f"{SEED2}: >95% annual",
        role="limit",
    )
    min_gross_margin: float = min_gross_margin_assumption(
        0.0,
        source=(
            f"{SEED2}: >80% utilisation is the target 'for profitability', so the fleet must at least "
            "earn its depreciation; seed 003: the infrastructure layer is low margin, so no higher floor"
        ),
    )

    @model_validator(mode="after")
    def _consistent(self) -> AiInfrastructureParams:
        total = self.on_demand_share + self.reserved_share + self.spot_share + self.multiyear_share
        if abs(total - 1.0) > MIX_TOLERANCE:
            raise ValueError(
                "contract mix must sum to 1: on_demand_share + reserved_share + spot_share + "
                f"multiyear_share = {self.on_demand_share:g} + {self.reserved_share:g} + "
                f"{self.spot_share:g} + {self.multiyear_share:g} = {total:g}"
            )
        return self

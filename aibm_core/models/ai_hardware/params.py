"""Assumptions of the AI hardware model: units, ranges, meanings and sources."""

from __future__ import annotations

from pydantic import model_validator

from aibm_core.core.params import ANALYST, ProjectionParams, assumption, min_gross_margin_assumption

SEED0 = "seed 000 §3 (AI hardware)"
SEED3 = "seed 003 (revenue pyramid: infrastructure layer)"
NVDA_FY25 = "Nvidia 10-K, fiscal 2025 (year to 2025-01-26)"


class AiHardwareParams(ProjectionParams):
    """Assumptions of the AI-hardware model (defaults: base scenario)."""

    base_correlations = (
        (
            "generation_asp_uplift",
            "generation_cost_uplift",
            0.5,
            "analyst judgement: a generation that costs more to build (HBM, packaging) is priced higher",
        ),
        (
            "annual_unit_demand_growth",
            "annual_asp_erosion",
            -0.4,
            "analyst judgement: demand that outruns supply leaves competitors little room to cut prices",
        ),
    )

    # --- volume and product mix
    units_per_month: float = assumption(
        300000.0,
        unit="units per month",
        gt=0,
        le=1e9,
        meaning="Accelerators shipped per month at the start, before customer churn and additions",
        source=f"{ANALYST}: ~3.6M data-centre GPUs a year, the order of public estimates for Nvidia, 2023-24",
    )
    high_end_unit_share: float = assumption(
        0.75,
        unit="fraction",
        ge=0,
        le=1,
        meaning="Share of units that are high-end (training-class) rather than mid-range parts",
        source=f"{SEED0}: product mix high-end vs mid-range ({ANALYST})",
    )
    annual_unit_demand_growth: float = assumption(
        0.15,
        unit="fraction per year",
        ge=-0.9,
        le=5,
        meaning="Yearly growth of units bought per customer (AI training demand, data-centre buildouts)",
        source=f"{SEED0}: volume drivers ({ANALYST})",
        base_range={"low": -0.05, "high": 0.35},
        range_source=(
            f"{SEED0}: AI training demand and data-centre buildouts (analyst judgement: bear 0%, "
            "bull 35%, a mild contraction in the lower tail)"
        ),
    )
    # --- prices and costs of the current generation in month 1
    high_end_asp_usd: float = assumption(
        30000.0,
        unit="USD per unit",
        ge=100,
        le=1e7,
        meaning="List average selling price of a high-end unit of the current generation in month 1",
        source=f"{SEED0}: H100 ~$30K ASP",
        base_range={"low": 25000.0, "high": 36000.0},
        range_source=(
            f"{SEED0}: H100 ~$30K ASP; 2024 reports put H100 at ~$25-30K (CNBC, 2024-03, beside "
            "Blackwell's $30-40K); upper tail: analyst judgement for shortage pricing"
        ),
        as_of="2024-01",
    )
    mid_range_asp_usd: float = assumption(
        9000.0,
        unit="USD per unit",
        ge=100,
        le=1e7,
        meaning="List average selling price of a mid-range (inference / PCIe-class) unit in month 1",
        source=ANALYST,
        as_of="2026-11-22",
    )
    high_end_unit_cost_usd: float = assumption(
        7000.0,
        unit="USD per unit",
        ge=10,
        le=1e7,
        meaning="Manufacturing cost of a high-end unit (die, HBM, packaging, board, test) in month 1",
        source=f"{ANALYST}: below the seed's $8-10K so that gross margin is near Nvidia's ~75% ({NVDA_FY25})",
        base_range={"low": 5000.0, "high": 10000.0},
        range_source=(
            f"{SEED0}: manufacturing ~$8-10K (estimated) as the upper end; the default's ~75% margin "
            f"({NVDA_FY25}) in the middle; analyst judgement for cheaper HBM and better yields below"
        ),
        as_of="2025-01-26",
    )
    mid_range_unit_cost_usd: float = assumption(
        2500.0,
        unit="USD per unit",
        ge=10,
        le=1e7,
        meaning="Manufacturing cost of a mid-range unit in month 1",
        source=ANALYST,
        as_of="2026-11-22",
    )
    # --- all-in cost of a unit shipped: parts the chip cost above may leave out (default 0: it carries them)
    memory_cost_per_unit_usd: float = assumption(
        0.0,
        unit="USD per unit",
        ge=0,
        le=1e6,
        meaning=(
            "HBM memory per unit shipped (average over tiers) in month 1, on top of the chip cost; "
            "0 when the chip cost already carries it. Follows the generation cost uplift and decline"
        ),
        source=(
            f"{ANALYST}: 0, the chip cost above includes HBM. Public estimates put the HBM of an H100 "
            "at roughly $1.5-2K (analyst teardown estimates reported 2023-24, approximate)"
        ),
        as_of="2024-03-01",
    )
    system_cost_per_unit_usd: float = assumption(
        0.0,
        unit="USD per unit",
        ge=0,
        le=1e6,
        meaning=(
            "Board and system per unit shipped (baseboard, NVLink, power, chassis of HGX/DGX-class systems; "
            "average over tiers) in month 1, on top of the chip cost; 0 for a vendor selling bare chips"
        ),
        source=(
            f"{ANALYST}: 0, the base case sells accelerators; a systems vendor's cost of revenue carries "
            f"boards and systems, which is why a bare chip cost overstates its gross margin ({NVDA_FY25})"
        ),
        as_of="2025-02-26",
    )
    networking_cost_per_unit_usd: float = assumption(
        0.0,
        unit="USD per unit",
        ge=0,
        le=1e6,
        meaning=(
            "Networking sold with each unit (InfiniBand / Ethernet switches, NICs, cables) per unit shipped "
            "in month 1, on top of the chip cost; its revenue sits in the ASP"
        ),
        source=(
            f"{ANALYST}: 0 in the base case. {NVDA_FY25}: networking revenue $12.9B of data-centre "
            "$115.2B (11%)"
        ),
        as_of="2025-02-26",
    )
    # --- segments outside the data centre (gaming, professional visualisation, automotive, OEM)
    other_segments_revenue_usd_per_year: float = assumption(
        0.0,
        unit="USD per year",
        ge=0,
        le=1e12,
        meaning=(
            "Revenue of the segments outside the data centre (gaming, professional visualisation, "
            "automotive, OEM) at the start, at an annual rate; 0 models a data-centre-only vendor"
        ),
        source=(
            f"{ANALYST}: 0, the base case is the data-centre business. {NVDA_FY25}: $15.3B "
            "(revenue $130.5B less data centre $115.2B; gaming $11.4B)"
        ),
        as_of="2025-02-26",
    )
    other_segments_revenue_growth: float = assumption(
        0.0,
        unit="fraction per year",
        ge=-0.9,
        le=5,
        meaning="Yearly growth of the revenue of the segments outside the data centre",
        source=(
            f"{ANALYST}: flat. {NVDA_FY25}: gaming +9%, professional visualisation +21%, automotive "
            "+55% on fiscal 2024 (approximate)"
        ),
    )
    other_segments_gross_margin: float = assumption(
        0.6,
        unit="fraction",
        ge=0,
        le=1,
        meaning="Gross margin of the segments outside the data centre (cost of revenue = revenue × (1 − it))",
        source=(
            f"{ANALYST}: gaming and professional GPUs below the data centre's margin. Segment gross margin "
            f"is not disclosed; {NVDA_FY25} reports Graphics operating income of about $5.1B on $14.3B"
        ),
    )
    # --- enterprise contracts
    volume_discount_share: float = assumption(
        0.50,
        unit="fraction",
        ge=0,
        le=1,
        meaning="Share of units sold to large buyers that get the volume discount",
        source=f"{SEED0}: enterprise contracts, volume discounts ({ANALYST})",
    )
    volume_discount: float = assumption(
        0.10,
        unit="fraction",
        ge=0,
        lt=1,
        meaning="Discount off list ASP for volume buyers",
        source=f"{SEED0}: volume discounts ({ANALYST})",
        base_range={"dist": "pert", "low": 0.0, "mode": 0.1, "high": 0.25},
        range_source=(
            f"{SEED0}: volume discounts (analyst judgement: none while supply is short, "
            "up to a quarter for the largest buyers; bear 20%)"
        ),
    )
    long_term_contract_share: float = assumption(
        0.40,
        unit="fraction",
        ge=0,
        le=1,
        meaning="Share of units sold under multi-year supply agreements",
        source=f"{SEED0}: enterprise contracts, long-term ({ANALYST})",
    )
    contract_discount: float = assumption(
        0.05,
        unit="fraction",
        ge=0,
        lt=1,
        meaning="Extra discount granted in exchange for a long-term commitment",
        source=ANALYST,
    )
    # --- product generations
    generation_cadence_months: float = assumption(
        24.0,
        unit="months",
        ge=3,
        le=120,
        meaning="Months between launches of successive product generations",
        source="Nvidia data-centre architectures: A100 (2020), H100 (2022), B200 (2024)",
    )
    current_generation_age_months: float = assumption(
        12.0,
        unit="months",
        ge=0,
        le=120,
        meaning="Age of the newest generation on sale at the start of month 1",
        source=ANALYST,
    )
    ramp_months: float = assumption(
        6.0,
        unit="months",
        ge=1,
        le=60,
        meaning="Months a new generation takes to reach its peak share of shipments",
        source=ANALYST,
    )
    decline_months: float = assumption(
        12.0,
        unit="months",
        gt=0,
        le=120,
        meaning="Months an outgoing generation keeps selling after its successor launches",
        source=ANALYST,
    )
    generation_asp_uplift: float = assumption(
        0.25,
        unit="fraction",
        ge=-0.5,
        le=5,
        meaning="Launch ASP of a generation above the previous generation's launch ASP",
        source="Nvidia CEO on CNBC, 2024-03: Blackwell at $30-40K against ~$25-30K for H100",
        base_range={"low": 0.0, "high": 0.5},
        range_source=(
            "Nvidia CEO on CNBC, 2024-03: Blackwell at $30-40K, against ~$25-30K reported for H100: "
            "an uplift between about 0% and +60%"
        ),
    )
    generation_cost_uplift: float = assumption(
        0.35,
        unit="fraction",
        ge=-0.5,
        le=5,
        meaning="Launch manufacturing cost of a generation above the previous generation's",
        source=f"{ANALYST}: advanced packaging and more HBM per unit",
        base_range={"low": 0.15, "high": 0.55},
        range_source=(
            "analyst judgement: more HBM and advanced packaging per unit raise each generation's cost "
            "(bull 25%, bear 45%)"
        ),
    )
    annual_asp_erosion: float = assumption(
        0.10,
        unit="fraction per year",
        ge=0,
        lt=1,
        meaning="Yearly fall of a generation's ASP after launch (competition from AMD and custom chips)",
        source=f"{SEED0}: competitive-pressure guardrail ({ANALYST})",
        base_range={"low": 0.04, "high": 0.22},
        range_source=(
            f"{SEED0}: competitive pressure from AMD and custom chips (analyst judgement: bull 5%, bear 20%)"
        ),
    )
    annual_cost_decline: float = assumption(
        0.10,
        unit="fraction per year",
        ge=0,
        lt=1,
        meaning="Yearly fall of a generation's manufacturing cost (yield and scale learning)",
        source=f"{SEED0}: manufacturing scale lever ({ANALYST})",
        base_range={"low": 0.04, "high": 0.22},
        range_source=(
            f"{SEED0}: manufacturing scale lever (analyst judgement: yield and scale learning of "
            "4-22% a year)"
        ),
    )
    # --- inventory
    target_inventory_months: float = assumption(
        3.7,
        unit="months",
        ge=0,
        le=24,
        meaning="Stock planned at each month end, in months of the shipments the vendor expects next",
        source=f"{NVDA_FY25}: inventory $10.1B against cost of revenue $32.6B a year (3.7 months)",
    )
    demand_shortfall: float = assumption(
        0.0,
        unit="fraction",
        ge=0,
        lt=1,
        meaning="Share of planned unit demand cancelled or pushed out from demand_shortfall_month on",
        source=f"{ANALYST}: demand arrives as planned (bear: Nvidia's 2022 miss, see the bear file)",
    )
    demand_shortfall_month: int = assumption(
        13,
        unit="month",
        ge=1,
        le=120,
        meaning="First month of the demand shortfall, unforeseen until then",
        source=f"{ANALYST}: the first month of the second year",
        role="setting",
    )
    outgoing_writedown_rate: float = assumption(
        0.05,
        unit="fraction per month",
        ge=0,
        le=1,
        meaning="Share of an outgoing generation's stock written down monthly once its successor is out",
        source=f"{SEED0}: inventory guardrail ({ANALYST})",
    )
    # --- software ecosystem
    software_usd_per_unit_year: float = assumption(
        4500.0,
        unit="USD per unit per year",
        ge=0,
        le=1e6,
        meaning="Price of the enterprise software subscription attached to one unit",
        source="NVIDIA AI Enterprise list price, 2023: $4,500 per GPU per year",
        as_of="2023-01",
    )
    software_attach_rate: float = assumption(
        0.10,
        unit="fraction",
        ge=0,
        le=1,
        meaning="Share of shipped units that carry a paid software subscription",
        source=f"{SEED0}: software ecosystem adoption ({ANALYST})",
    )
    initial_software_subscriptions: float = assumption(
        330000.0,
        unit="subscriptions",
        ge=0,
        le=1e9,
        meaning="Paid software subscriptions active at the start",
        source="Nvidia Q3 FY2025 call, 2024-11: software and support annualising at ~$1.5B (/ $4,500)",
    )
    software_subscription_life_years: float = assumption(
        3.0,
        unit="years",
        gt=0,
        le=20,
        meaning="Average life of a software subscription before it lapses",
        source=ANALYST,
    )
    software_cost_share: float = assumption(
        0.10,
        unit="fraction",
        ge=0,
        le=1,
        meaning="Cost of delivering and supporting software, as a share of software revenue",
        source=ANALYST,
    )
    # --- customers
    initial_customers: float = assumption(
        5000.0,
        unit="customers",
        gt=0,
        le=1e8,
        meaning="Direct customers (cloud, enterprise, research, OEM) at the start",
        source=ANALYST,
    )
    new_customers_per_month: float = assumption(
        100.0,
        unit="customers per month",
        ge=0,
        le=1e7,
        meaning="New enterprise customers won each month",
        source=f"{SEED0}: revenue drivers ({ANALYST})",
    )
    annual_retention: float = assumption(
        0.90,
        unit="fraction per year",
        gt=0,
        le=1,
        meaning="Share of customers still buying a year later (renewals and upgrades)",
        source=f"{SEED0}: contract renewals / upgrades ({ANALYST})",
    )
    sales_cost_per_customer_usd: float = assumption(
        1.0e6,
        unit="USD per customer",
        ge=0,
        le=1e10,
        meaning="Sales and field-engineering cost to win one enterprise customer",
        source=ANALYST,
        as_of="2026-11-22",
    )
    top_customers: int = assumption(
        3,
        unit="customers",
        ge=1,
        le=100,
        meaning="Number of largest customers counted in the concentration guardrail",
        role="setting",
        source=f"{NVDA_FY25}: three direct customers at 12%, 11% and 11% of revenue",
    )
    customer_size_dispersion: float = assumption(
        2.8,
        unit="log standard deviation",
        ge=0.05,
        le=5,
        meaning="Spread of customer sizes (lognormal sigma); sets the top customers' share",
        source=f"{ANALYST}: calibrated to a top-3 share near 34% ({NVDA_FY25})",
    )
    annual_discount_rate: float = assumption(
        0.10,
        unit="fraction per year",
        ge=0,
        le=1,
        meaning="Discount rate for customer and subscription lifetime value",
        source=ANALYST,
    )
    ltv_months: int = assumption(
        60,
        unit="months",
        ge=1,
        le=240,
        meaning="Months of a new customer's projected path counted in its lifetime value (cap)",
        source=f"{ANALYST}: a five-year cap, the usual conservative cut-off of customer lifetime value",
        role="setting",
    )
    order_lead_months: float = assumption(
        6.0,
        unit="months",
        ge=0,
        le=36,
        meaning="Months between an order (booking) and the shipment",
        source=ANALYST,
    )
    # --- operating costs
    rnd_usd_per_year: float = assumption(
        12.9e9,
        unit="USD per year",
        ge=0,
        le=1e12,
        meaning="Research and development spend (next-generation chips, software stack)",
        source=f"{NVDA_FY25}: R&D $12.9B",
        schedule=True,
    )
    other_opex_usd_per_year: float = assumption(
        2.3e9,
        unit="USD per year",
        ge=0,
        le=1e12,
        meaning="General and administrative costs other than winning customers",
        source=f"{NVDA_FY25}: SG&A $3.5B, less the customer-acquisition part",
        schedule=True,
    )
    capex_share_of_revenue: float = assumption(
        0.02,
        unit="fraction",
        ge=0,
        le=1,
        meaning="Capital spending (equipment, buildings, intangibles) as a share of revenue; fabless",
        source=(
            "Nvidia 10-K: capex $1.07B on revenue $60.9B in fiscal 2024 (1.8%), "
            "$3.24B on $130.5B in fiscal 2025 (2.5%)"
        ),
    )
    # --- observation
    market_share: float = assumption(
        0.85,
        unit="fraction",
        ge=0,
        le=1,
        meaning="Observed share of AI-accelerator units (vs AMD and custom chips)",
        source="analyst estimates for Nvidia, 2024: ~80-90% of data-centre AI accelerators",
        role="observed",
    )
    cloud_revenue_share: float = assumption(
        0.50,
        unit="fraction",
        ge=0,
        le=1,
        meaning="Observed share of revenue from cloud providers (rest: enterprise and research)",
        source=f"{NVDA_FY25}: large cloud providers about half of data-centre revenue",
        role="observed",
    )
    developers_m: float = assumption(
        5.0,
        unit="M developers",
        ge=0,
        le=1e3,
        meaning="Observed developers using the vendor's software stack (CUDA and frameworks)",
        source="Nvidia, 2024: more than 5 million CUDA developers",
        role="observed",
    )
    developer_growth: float = assumption(
        0.25,
        unit="fraction per year",
        ge=-1,
        le=10,
        meaning="Observed yearly growth of the developer ecosystem",
        source="Nvidia, 2023-24: about 4M to 5M developers",
        role="observed",
    )
    partnership_announcements: float = assumption(
        10.0,
        unit="announcements per quarter",
        ge=0,
        le=1e4,
        meaning="Observed partnership announcements (clouds, OEMs, model labs)",
        source=f"{SEED0}: leading indicators ({ANALYST})",
        role="observed",
    )
    annual_failure_rate: float = assumption(
        0.05,
        unit="fraction per year",
        ge=0,
        le=1,
        meaning="Observed share of installed units failing in a year",
        source=ANALYST,
        role="observed",
    )
    support_tickets_per_1k_units: float = assumption(
        20.0,
        unit="tickets per 1K units per month",
        ge=0,
        le=1e6,
        meaning="Observed support ticket volume",
        source=f"{SEED0}: customer health ({ANALYST})",
        role="observed",
    )
    customer_satisfaction: float = assumption(
        0.85,
        unit="fraction",
        ge=0,
        le=1,
        meaning="Observed share of surveyed customers satisfied or very satisfied",
        source=ANALYST,
        role="observed",
    )
    # --- guardrail limits
    min_gross_margin: float = min_gross_margin_assumption(
        0.65,
        source=f"{SEED0}: gross margin ~65-70%",
    )
    max_inventory_months: float = assumption(
        4.5,
        unit="months",
        ge=0,
        le=24,
        meaning="Guardrail: highest acceptable inventory, in months of supply",
        source=ANALYST,
        role="limit",
    )
    max_top_customer_share: float = assumption(
        0.40,
        unit="fraction",
        ge=0,
        le=1,
        meaning="Guardrail: highest acceptable revenue share of the top customers",
        source=f"{SEED0}: customer concentration risk ({ANALYST})",
        role="limit",
    )
    max_asp_erosion: float = assumption(
        0.15,
        unit="fraction per year",
        ge=0,
        le=1,
        meaning="Guardrail: highest acceptable yearly ASP erosion from competition",
        source=ANALYST,
        role="limit",
    )

    @model_validator(mode="after")
    def _consistent(self) -> AiHardwareParams:
        if self.current_generation_age_months >= self.generation_cadence_months:
            raise ValueError(
                f"current_generation_age_months ({self.current_generation_age_months:g}) must be below "
                f"generation_cadence_months ({self.generation_cadence_months:g}): a newer generation "
                "would already be on sale"
            )
        return self

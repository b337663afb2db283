"""Hypothesis strategies for model parameters."""

from __future__ import annotations

from hypothesis import strategies as st

from aibm_core.models.api_access import ApiAccessParams

fractions = st.floats(0.0, 0.95, allow_nan=False)


@st.composite
def api_params(draw) -> ApiAccessParams:
    """Valid API-access parameter sets spread over realistic ranges."""
    return ApiAccessParams(
        price_per_m_input_tokens=draw(st.floats(0.1, 50)),
        price_per_m_output_tokens=draw(st.floats(0.5, 150)),
        input_token_share=draw(st.floats(0.0, 1.0)),
        enterprise_token_share=draw(st.floats(0.0, 1.0)),
        enterprise_discount=draw(fractions),
        cache_hit_rate=draw(st.floats(0.0, 1.0)),
        batch_share=draw(st.floats(0.0, 1.0)),
        gpu_hour_cost_usd=draw(st.floats(0.5, 10)),
        gpu_utilisation=draw(st.floats(0.05, 1.0)),
        monthly_churn=draw(st.floats(0.001, 0.3)),
        usage_growth_monthly=draw(st.floats(-0.05, 0.1)),
        customer_size_dispersion=draw(st.floats(0.05, 3.0)),
        annual_price_decline=draw(st.floats(0.0, 0.9)),
    )

"""The linked value chain: money is conserved and a transfer price moves only its two layers."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aibm_core.analysis.results_cache import model_results
from aibm_core.analysis.value_chain import LAYERS, StackParams, defaults_from_results, flows, transfer_effect

TRANSFER_PRICES = ("api_price_per_m_tokens", "gpu_hour_price", "asp_per_gpu")


@given(
    tokens=st.floats(0.0, 0.2),
    price=st.floats(0.1, 50),
    hours=st.floats(0.01, 5),
    gpu_price=st.floats(0.5, 10),
    asp=st.floats(1_000, 60_000),
)
def test_money_is_conserved_down_the_stack(tokens, price, hours, gpu_price, asp):
    p = StackParams().vary(
        app_m_tokens_per_usd=tokens,
        api_price_per_m_tokens=price,
        gpu_hours_per_m_tokens=hours,
        gpu_hour_price=gpu_price,
        asp_per_gpu=asp,
    )
    frame = flows(p)
    np.testing.assert_allclose(frame["paid_down"].to_numpy()[:-1], frame["revenue"].to_numpy()[1:])
    assert frame["margin"].sum() + frame["outside"].sum() == pytest.approx(1.0, rel=1e-12)


@pytest.mark.parametrize(("name", "joined"), list(zip(TRANSFER_PRICES, pairwise(LAYERS), strict=True)))
def test_a_transfer_price_moves_money_only_between_the_two_layers_it_joins(name, joined):
    change = transfer_effect(StackParams(), name, 1.25)["margin change"]
    assert change.sum() == pytest.approx(0.0, abs=1e-15)
    assert change[joined[0]] < 0 < change[joined[1]]
    assert (change.drop(list(joined)) == 0).all()


def test_the_application_dollar_by_hand():
    p = StackParams().vary(
        app_m_tokens_per_usd=0.1,
        app_other_cost_share=0.2,
        api_price_per_m_tokens=2.0,
        api_overhead_per_m_tokens=0.5,
        gpu_hours_per_m_tokens=0.4,
        gpu_hour_price=2.5,
        cloud_opex_per_sold_hour=0.5,
        sold_hours_per_gpu=20_000.0,
        asp_per_gpu=20_000.0,
        other_capex_per_gpu=10_000.0,
        manufacturing_cost_per_gpu=5_000.0,
    )
    frame = flows(p)
    # 0.1M tokens at $2 = $0.20 to the API; 0.04 GPU-hours at $2.5 = $0.10 to the cloud;
    # 0.04 / 20,000 = 2e-6 GPUs at $20,000 = $0.04 to the hardware vendor.
    np.testing.assert_allclose(frame["revenue"], [1.0, 0.2, 0.1, 0.04])
    np.testing.assert_allclose(
        frame["margin"], [1 - 0.2 - 0.2, 0.2 - 0.1 - 0.05, 0.1 - 0.04 - 0.02 - 0.02, 0.03]
    )


def test_defaults_come_from_the_models_results():
    results = {m: model_results(m, "base") for m in ("api_access", "ai_infrastructure", "ai_hardware")}
    values = defaults_from_results(results)
    assert values["api_price_per_m_tokens"] == results["api_access"]["kpis"]["revenue_per_m_tokens"]["value"]
    assert values["asp_per_gpu"] == results["ai_hardware"]["kpis"]["net_asp"]["value"]
    frame = flows(StackParams.model_validate(values))
    assert frame["margin"].sum() + frame["outside"].sum() == pytest.approx(1.0)

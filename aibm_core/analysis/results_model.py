"""The results payload as typed pydantic models, and the JSON Schema generated from them.

:class:`ModelResults` describes the whole payload :func:`aibm_core.analysis.results.results_payload`
returns, key for key and in the same order: validating a payload and dumping it again
(``model_dump(mode="json")``) gives it back unchanged. The JSON Schema shipped beside
the package (``schemas/results.schema.json``, read by :func:`aibm_core.analysis.results.schema`) is
generated from these models by :func:`results_schema`; regenerate it after changing them::

    python -m aibm_core.analysis.results_model           # write the schema file
    python -m aibm_core.analysis.results_model --check   # exit 1 if the committed file is out of date

Numbers that are not finite have no JSON form: infinities are the strings ``"inf"`` and
``"-inf"`` and an undefined value is ``null`` (:data:`JsonNumber`, written by
:func:`aibm_core.analysis.results.number`). Every object forbids keys it does not declare, so a
misspelt or stray key fails both the model and the schema.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AllowInfNan,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    field_validator,
)
from pydantic.json_schema import GenerateJsonSchema, SkipJsonSchema
from typing_extensions import TypeAliasType

from aibm_core.core.config import PACKAGE_DIR
from aibm_core.core.params import Role
from aibm_core.core.ranges import Family
from aibm_core.core.tree import Direction, Kind
from aibm_core.models.base import Layer

#: Version of the results payload; bump the major part when a key changes meaning or goes.
SCHEMA_VERSION = "1.3.0"
SCHEMA_PATH = PACKAGE_DIR / "schemas" / "results.schema.json"

#: The command that rewrites the committed schema file.
REGENERATE = "python -m aibm_core.analysis.results_model"

#: ``$id`` of the generated schema (unchanged across versions; ``version`` says which one).
SCHEMA_ID = "aibm/results.schema.json"
SCHEMA_TITLE = "aibm model results"
SCHEMA_DESCRIPTION = (
    "Results of one business model under one scenario. Money in USD; monthly series cover months "
    "1..horizon_months. Infinite values are the strings 'inf' or '-inf'; undefined ones (a margin "
    "on zero revenue) are null."
)

#: A finite float, never coerced from a string or a bool (an int is taken as its float).
FiniteFloat = Annotated[float, Field(strict=True), AllowInfNan(False)]

#: A number in JSON: a finite float, ``"inf"``/``"-inf"`` for an infinity, ``None`` (``null``) if undefined.
JsonNumber = TypeAliasType(
    "JsonNumber",
    Annotated[
        FiniteFloat | Literal["inf", "-inf"] | None,
        Field(description="A finite number, 'inf'/'-inf' for an infinite one, null if undefined."),
    ],
)

#: A share of Monte Carlo draws, 0..1.
Probability = Annotated[float, Field(strict=True, ge=0, le=1)]

#: A month of the horizon, counted from 1.
Month = Annotated[StrictInt, Field(ge=1)]

_USD_MONTH = "USD per month"
_USD_HORIZON = "USD summed over the horizon"
_FRACTION = "fraction"


def _unit(what: str, unit: str) -> Any:
    """A field with a description naming its unit."""
    return Field(description=f"{what} ({unit}).")


class _Strict(BaseModel):
    """Base of every results object: undeclared keys are refused (``additionalProperties: false``)."""

    model_config = ConfigDict(extra="forbid")


class NorthStar(_Strict):
    """The model's north-star metric in the snapshot month."""

    name: StrictStr = Field(description="Label of the metric.")
    value: JsonNumber = Field(description="Value in the snapshot month, in `unit`.")
    unit: StrictStr = Field(description="Unit of `value`.")


class Snapshot(_Strict):
    """Statement series and ratios in the snapshot month."""

    revenue: JsonNumber = _unit("Revenue", _USD_MONTH)
    cost_of_revenue: JsonNumber = _unit("Cost of revenue", _USD_MONTH)
    gross_profit: JsonNumber = _unit("Gross profit", _USD_MONTH)
    operating_expenses: JsonNumber = _unit("Operating expenses", _USD_MONTH)
    operating_profit: JsonNumber = _unit("Operating profit (EBIT)", _USD_MONTH)
    capex: JsonNumber = _unit("Capital expenditure, as cash spent", _USD_MONTH)
    volume: JsonNumber = Field(description="The model's volume driver, in the unit of `series.volume.unit`.")
    north_star: JsonNumber = Field(description="North-star metric, in the unit of `series.north_star.unit`.")
    gross_margin: JsonNumber = _unit("Gross profit / revenue; null without revenue", _FRACTION)
    operating_margin: JsonNumber = _unit("Operating profit / revenue; null without revenue", _FRACTION)
    capital_intensity: JsonNumber = _unit("Capex / revenue; null without revenue", _FRACTION)


class Horizon(_Strict):
    """Flows summed over the horizon and the ratios of those sums."""

    revenue: JsonNumber = _unit("Revenue", _USD_HORIZON)
    cost_of_revenue: JsonNumber = _unit("Cost of revenue", _USD_HORIZON)
    gross_profit: JsonNumber = _unit("Gross profit", _USD_HORIZON)
    operating_expenses: JsonNumber = _unit("Operating expenses", _USD_HORIZON)
    operating_profit: JsonNumber = _unit("Operating profit (EBIT)", _USD_HORIZON)
    capex: JsonNumber = _unit("Capital expenditure, as cash spent", _USD_HORIZON)
    depreciation: JsonNumber = _unit("Depreciation held in the cost of revenue (non-cash)", _USD_HORIZON)
    gross_margin: JsonNumber = _unit("Summed gross profit / summed revenue", _FRACTION)
    operating_margin: JsonNumber = _unit("Summed operating profit / summed revenue", _FRACTION)
    capital_intensity: JsonNumber = _unit("Summed capex / summed revenue", _FRACTION)


class Series(_Strict):
    """One monthly statement series with its label and unit."""

    label: StrictStr = Field(description="Label for people.")
    unit: StrictStr = Field(description="Unit of every value.")
    values: list[JsonNumber] = Field(description="One value per month, months 1..horizon_months.")


class StatementSeries(_Strict):
    """The monthly series every model reports."""

    months: list[Month] = Field(description="Month numbers, 1..horizon_months.")
    revenue: Series = _unit("Revenue", _USD_MONTH)
    cost_of_revenue: Series = _unit("Cost of revenue", _USD_MONTH)
    gross_profit: Series = _unit("Gross profit", _USD_MONTH)
    operating_expenses: Series = _unit("Operating expenses", _USD_MONTH)
    operating_profit: Series = _unit("Operating profit (EBIT)", _USD_MONTH)
    capex: Series = _unit("Capital expenditure, as cash spent", _USD_MONTH)
    volume: Series = Field(description="The model's volume driver, in its own unit (`unit`).")
    north_star: Series = Field(description="The model's north-star metric, in its own unit (`unit`).")


class ProjectionColumn(_Strict):
    """One column of the monthly projection, as the model declares it."""

    label: StrictStr = Field(description="Label for people.")
    unit: StrictStr = Field(description="Unit of a value once multiplied by `scale`.")
    scale: Annotated[float, Field(strict=True, gt=0)] = Field(
        description="Factor from a stored value to `unit` (1e9 for a column stored in billions)."
    )
    values: list[JsonNumber] = Field(description="Stored value by month, months as in `months`.")


class Projection(_Strict):
    """The model's monthly projection: every column it computes, with its label and unit."""

    months: list[Month] = Field(description="Month numbers, 1..horizon_months.")
    columns: dict[str, ProjectionColumn] = Field(description="Columns by name, in the model's order.")


class Kpi(_Strict):
    """One of the model's own KPIs in the snapshot month."""

    label: StrictStr = Field(description="Label for people.")
    value: JsonNumber = Field(description="Value, in `unit`.")
    unit: StrictStr = Field(description="Unit of `value`.")


class Guardrail(_Strict):
    """A limit on a metric, judged over the whole horizon."""

    name: StrictStr = Field(description="Id of the guardrail node in `tree`.")
    label: StrictStr = Field(description="Label for people.")
    unit: StrictStr = Field(description="Unit of `threshold`, `value` and `worst`.")
    threshold: JsonNumber = Field(description="The limit, in `unit`.")
    direction: Direction = Field(
        description="'max': the metric must stay at or below the threshold; 'min': at or above."
    )
    value: JsonNumber = Field(description="Value in the snapshot month, in `unit`.")
    worst: JsonNumber = Field(description="Worst value over the horizon, in `unit`.")
    first_breach_month: Month | None = Field(
        description="First month the limit breaks; null if it holds throughout."
    )
    ok: StrictBool = Field(description="Whether the limit holds in every month of the horizon.")
    breach_probability: Probability | None = Field(
        description="Share of Monte Carlo draws in which the limit breaks in some month; null without ranges."
    )


class TreeNode(_Strict):
    """A node of the model's metric tree."""

    id: StrictStr = Field(description="Node id.")
    label: StrictStr = Field(description="Label for people.")
    kind: Kind = Field(description="Role of the node in the tree.")
    parent: StrictStr | None = Field(description="Id of the parent node; null for the root.")
    unit: StrictStr = Field(description="Unit of `value`.")
    value: JsonNumber = Field(description="Value in the snapshot month, in `unit`.")
    computed: StrictBool = Field(description="Whether the value is computed from other nodes by a formula.")
    observed: StrictBool = Field(
        description="Whether the value is a measured figure rather than an assumption."
    )
    status: Literal["ok", "breach"] | None = Field(description="Guardrail status; null for other nodes.")


class Assumption(_Strict):
    """One assumption of the model as used in the run."""

    value: JsonNumber | StrictStr | StrictBool = Field(
        description="Value used in the run, in `unit` (a string for a choice, a boolean for a switch)."
    )
    unit: StrictStr = Field(description="Unit of `value` ('' when it has none).")
    role: Role = Field(
        description=(
            "'driver' (uncertain number), 'setting' (structural), 'observed' (measured) or "
            "'limit' (guardrail threshold)."
        )
    )


def _omitted_when_none(description: str) -> Any:
    """An optional range number: absent from the payload (never ``null``) when not given."""
    return Field(
        default=None,
        description=description,
        exclude_if=lambda value: value is None,
        json_schema_extra=lambda schema: schema.pop("default", None),
    )


_INTERVAL = (
    "the 90% interval (lognormal, logitnormal, normal) or of the support (the other families), "
    "in the assumption's unit"
)


class RangeSpec(_Strict):
    """An uncertain driver as written in a parameter file (the family always named)."""

    dist: Family = Field(description="Distribution family.")
    low: FiniteFloat = Field(description=f"Low end of {_INTERVAL}.")
    high: FiniteFloat = Field(description=f"High end of {_INTERVAL}.")
    mode: FiniteFloat | SkipJsonSchema[None] = _omitted_when_none("Most likely value (triangular, pert).")
    alpha: FiniteFloat | SkipJsonSchema[None] = _omitted_when_none("First shape parameter (beta).")
    beta: FiniteFloat | SkipJsonSchema[None] = _omitted_when_none("Second shape parameter (beta).")
    value: FiniteFloat | SkipJsonSchema[None] = _omitted_when_none(
        "Point value of the deterministic results (default: the median)."
    )
    recentred_from: FiniteFloat | SkipJsonSchema[None] = _omitted_when_none(
        "For a range the scenario moved with the driver's new value: the point value of the "
        "overlaid scenario's range it was re-centred from, in the driver's unit."
    )

    @field_validator("mode", "alpha", "beta", "value", "recentred_from", mode="before")
    @classmethod
    def _absent_not_null(cls, value: Any) -> Any:
        """An optional number is left out when not given, never written ``null``."""
        if value is None:
            raise ValueError("leave the key out instead of null")
        return value


class Percentiles(_Strict):
    """P10, P50 and P90 of a KPI over the draws, in the KPI's unit."""

    p10: JsonNumber = Field(description="10th percentile.")
    p50: JsonNumber = Field(description="Median.")
    p90: JsonNumber = Field(description="90th percentile.")


class Headline(_Strict):
    """Percentiles of the headline figures in the snapshot month."""

    north_star: Percentiles = Field(description="The north-star metric, in its unit (`north_star.unit`).")
    gross_margin: Percentiles = _unit("The reported gross margin", _FRACTION)


class Fan(_Strict):
    """Percentiles of a monthly series over the draws, by month, in the series' unit."""

    p10: list[JsonNumber] = Field(description="10th percentile by month.")
    p50: list[JsonNumber] = Field(description="Median by month.")
    p90: list[JsonNumber] = Field(description="90th percentile by month.")


class SeriesFans(_Strict):
    """Fan of every statement series (units as in the top-level `series`)."""

    revenue: Fan = _unit("Revenue", _USD_MONTH)
    cost_of_revenue: Fan = _unit("Cost of revenue", _USD_MONTH)
    gross_profit: Fan = _unit("Gross profit", _USD_MONTH)
    operating_expenses: Fan = _unit("Operating expenses", _USD_MONTH)
    operating_profit: Fan = _unit("Operating profit (EBIT)", _USD_MONTH)
    capex: Fan = _unit("Capital expenditure, as cash spent", _USD_MONTH)
    volume: Fan = Field(description="Volume driver, in the unit of `series.volume.unit`.")
    north_star: Fan = Field(description="North-star metric, in the unit of `series.north_star.unit`.")


#: A rank correlation between two ranged drivers: ``[driver, driver, rho]``.
Correlation = tuple[StrictStr, StrictStr, Annotated[float, Field(strict=True, ge=-1, le=1)]]


class Uncertainty(_Strict):
    """Monte Carlo over the ranged drivers and the draws of the linked inputs."""

    draws: StrictInt = Field(ge=1, description="Number of Monte Carlo draws.")
    random_seed: StrictInt = Field(ge=0, description="Seed of the draws (reproducible runs).")
    ranges: dict[str, RangeSpec] = Field(description="The ranged drivers, by assumption name.")
    correlations: list[Correlation] = Field(description="Spearman rank correlations: [driver, driver, rho].")
    linked: list[StrictStr] = Field(
        description=(
            "Linked drivers drawn with their seller: draw i reads the selling model's draw i "
            "(joint draws across the stack)."
        )
    )
    kpis: dict[str, Percentiles] = Field(
        description="Percentiles of every KPI in the snapshot month, by KPI key."
    )
    headline: Headline = Field(description="Percentiles of the north star and gross margin.")
    series: SeriesFans = Field(description="Percentiles of every statement series by month.")
    breach_probability: dict[str, Probability] = Field(
        description="Share of draws in which each guardrail breaks in some month, by guardrail name."
    )


class GoalSeekAnswer(_Strict):
    """The driver value at which a KPI reaches its target, or null with a message."""

    label: StrictStr = Field(description="The question, for people.")
    driver: StrictStr = Field(description="Assumption that is varied.")
    kpi: StrictStr = Field(description="KPI key that must reach the target.")
    target: JsonNumber = Field(description="Target value of the KPI, in the KPI's unit.")
    value: JsonNumber = Field(
        description="Driver value that reaches the target, in the driver's unit; null if none."
    )
    message: StrictStr = Field(description="How the answer was found, or why there is none.")


class LinkRecord(_Strict):
    """One driver another model's results may set (a purchase in the stack), and whether they did."""

    driver: StrictStr = Field(description="The buying model's driver.")
    seller: StrictStr = Field(description="The selling model.")
    output: StrictStr = Field(description="The seller's monthly series the driver reads.")
    label: StrictStr = Field(description="What the seller's series is, for people.")
    state: Literal[
        "linked", "set by the scenario", "scenario unlinked", "outside a scenario", "no seller"
    ] = Field(description="Whether the link is in force, and if not, why.")
    text: StrictStr = Field(description="The state for people.")
    value: JsonNumber = Field(
        description="The driver's value in force in the snapshot month, in the driver's unit."
    )
    own_value: JsonNumber = Field(description="The buying model's own value of the driver (its parameters).")


class ModelResults(_Strict):
    """Results of one business model under one scenario (the whole results payload)."""

    schema_version: StrictStr = Field(
        pattern=rf"^{SCHEMA_VERSION.split('.')[0]}\.[0-9]+\.[0-9]+$",
        description=(
            "Version of the results schema (semantic versioning: the major part changes when a key "
            "changes meaning or goes)."
        ),
    )
    model: StrictStr = Field(description="Model name (its parameter file and notebook stem).")
    title: StrictStr = Field(description="Model title for people.")
    layer: Layer = Field(description="Layer of the AI stack the model belongs to.")
    scenario: StrictStr = Field(description="Scenario the parameters come from.")
    horizon_months: StrictInt = Field(ge=1, description="Number of months simulated (months).")
    snapshot_month: StrictInt = Field(
        ge=1, description="Month the snapshot figures are taken in, 1..horizon_months."
    )
    north_star: NorthStar = Field(description="The model's north-star metric in the snapshot month.")
    gross_margin: JsonNumber = _unit("The model's reported gross margin in the snapshot month", _FRACTION)
    snapshot: Snapshot = Field(description="Statement series and ratios in the snapshot month.")
    horizon: Horizon = Field(description="Flows summed over the horizon and the ratios of those sums.")
    series: StatementSeries = Field(description="Monthly statement series, each with its label and unit.")
    kpis: dict[str, Kpi] = Field(description="The model's own KPIs in the snapshot month, by key.")
    guardrails: list[Guardrail] = Field(description="Guardrails judged over the whole horizon.")
    tree: list[TreeNode] = Field(description="The model's metric tree, root first.")
    assumptions: dict[str, Assumption] = Field(
        description="Every assumption with its value, unit and role, by name."
    )
    projection: Projection = Field(description="The monthly projection with each column's label and unit.")
    uncertainty: Uncertainty | None = Field(
        description="Monte Carlo over the ranged drivers (null for a point scenario)."
    )
    links: list[LinkRecord] = Field(
        description="Each driver the stack lets another model's results set, with its state and value.",
    )
    goal_seek: list[GoalSeekAnswer] = Field(
        description=(
            "Answers to the model's goal-seek questions: the driver value at which a KPI reaches its "
            "target, or null with a message."
        )
    )


class _NoFieldTitles(GenerateJsonSchema):
    """Schema generation without a ``title`` on every property (the key already names it)."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


def results_schema() -> dict[str, Any]:
    """The JSON Schema of the results payload, generated from :class:`ModelResults`.

    Returns
    -------
    dict
        A draft 2020-12 schema with ``$id``, title, description and ``version``
        (:data:`SCHEMA_VERSION`) in front of the generated body.
    """
    body = ModelResults.model_json_schema(mode="serialization", schema_generator=_NoFieldTitles)
    body.pop("title", None)
    body.pop("description", None)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": SCHEMA_TITLE,
        "description": SCHEMA_DESCRIPTION,
        "version": SCHEMA_VERSION,
        "$comment": f"Generated from aibm_core.analysis.results_model.ModelResults: run `{REGENERATE}`.",
        **body,
    }


def schema_text() -> str:
    """The generated schema as the text of the committed file (indented JSON, newline at the end)."""
    return json.dumps(results_schema(), indent=2) + "\n"


def write_schema(path: str | Path = SCHEMA_PATH) -> Path:
    """Write the generated schema to ``path`` (by default the file the package ships and reads).

    Parameters
    ----------
    path
        Target file; :data:`~aibm_core.analysis.results.SCHEMA_PATH` by default.

    Returns
    -------
    Path
        The file written.
    """
    path = Path(path)
    path.write_text(schema_text(), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    """``python -m aibm_core.analysis.results_model [--check] [PATH]``: write or check the schema file."""
    parser = argparse.ArgumentParser(
        prog=REGENERATE,
        description="Write the results JSON Schema generated from the ModelResults pydantic model.",
    )
    parser.add_argument(
        "path", nargs="?", default=str(SCHEMA_PATH), help="schema file (default: the shipped one)"
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is not the generated schema")
    args = parser.parse_args(argv)
    path = Path(args.path)
    if args.check:
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current != schema_text():
            print(f"{path} is out of date: run `{REGENERATE}`", file=sys.stderr)
            return 1
        return 0
    print(write_schema(path))
    return 0


if __name__ == "__main__":
    sys.exit(main())

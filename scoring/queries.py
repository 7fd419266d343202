"""Named read queries for dashboards, exports, digests and the API, gathered from the modules that
hold them: filters (parsing, the raw responses), panels (NPS panels, response rate, targets),
drivers, customers (comments, at risk, history). Readers never write: what the rollups do not
cover yet is counted live (scoring.freshness)."""

from scoring.customers import at_risk, comment_list, contact_history, dropped, latest_comments
from scoring.drivers import driver_results
from scoring.filters import KINDS, PERIODS, Filters, parse_filters, responses, valid_key
from scoring.freshness import one_look
from scoring.panels import (
    BUCKETS,
    DIMENSIONS,
    SEGMENT_KEYS,
    delivery_funnel,
    nps_by,
    nps_by_period,
    nps_by_segment,
    nps_summary,
    response_rate,
    rollup,
    score_distribution,
    segment_keys,
    team_targets,
    trend_bucket,
    uses_rollup,
)
from scoring.recovery import recovery

__all__ = [
    "BUCKETS",
    "DIMENSIONS",
    "KINDS",
    "PERIODS",
    "SEGMENT_KEYS",
    "Filters",
    "at_risk",
    "comment_list",
    "contact_history",
    "delivery_funnel",
    "driver_results",
    "dropped",
    "latest_comments",
    "nps_by",
    "nps_by_period",
    "nps_by_segment",
    "nps_summary",
    "one_look",
    "parse_filters",
    "recovery",
    "response_rate",
    "responses",
    "rollup",
    "score_distribution",
    "segment_keys",
    "team_targets",
    "trend_bucket",
    "uses_rollup",
    "valid_key",
]

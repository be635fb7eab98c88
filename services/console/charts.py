"""The overview's charts, built with plotly on the server and drawn by plotly.js in the page.

plotly.js is served from the installed plotly package (``/console/static/plotly.min.js``),
never from a CDN. Figures go to the page as JSON; the page's script draws each one and
redraws it when a live update replaces it.
"""

from __future__ import annotations

import plotly.graph_objects as go

from claims import aging
from services.analytics import AgingReport, DenialReport

# A calm palette: young money in cool colours, old money in warm ones.
AGING_COLOURS = ("#4c8bb8", "#6fa8a0", "#d4b05f", "#d98b5f", "#b85450")
LAYOUT = {
    "margin": {"l": 48, "r": 12, "t": 8, "b": 36},
    "height": 260,
    "paper_bgcolor": "rgba(0,0,0,0)",
    "plot_bgcolor": "rgba(0,0,0,0)",
    "font": {"family": "system-ui, -apple-system, Segoe UI, sans-serif", "size": 12},
    "legend": {"orientation": "h", "y": -0.18},
}


def aging_chart(report: AgingReport) -> str:
    """Outstanding money by payer, stacked by aging bucket."""
    payers = [row.payer_id for row in report.payers]
    fig = go.Figure(
        data=[
            go.Bar(
                name=f"{name} days",
                x=payers,
                y=[float(row.buckets[name].amount) for row in report.payers],
                marker_color=colour,
                hovertemplate="%{x}<br>" + name + " days: $%{y:,.2f}<extra></extra>",
            )
            for name, colour in zip(aging.BUCKET_NAMES, AGING_COLOURS, strict=True)
        ],
        layout={
            **LAYOUT,
            "barmode": "stack",
            "legend": {**LAYOUT["legend"], "traceorder": "normal"},  # type: ignore[dict-item]
            "yaxis": {"tickprefix": "$", "gridcolor": "#e6e9ed"},
        },
    )
    json_text: str = fig.to_json()
    return json_text


def denial_chart(report: DenialReport, top: int = 8) -> str:
    """Money at risk by denial reason (the biggest first)."""
    reasons = [r for r in report.reasons if r.at_risk_amount > 0][:top][::-1]
    fig = go.Figure(
        data=[
            go.Bar(
                x=[float(r.at_risk_amount) for r in reasons],
                y=[r.reason for r in reasons],
                orientation="h",
                marker_color="#b85450",
                customdata=[r.description or "" for r in reasons],
                hovertemplate="%{y}: $%{x:,.2f}<br>%{customdata}<extra></extra>",
            )
        ],
        layout={
            **LAYOUT,
            "margin": {"l": 72, "r": 12, "t": 8, "b": 36},
            "xaxis": {"tickprefix": "$", "gridcolor": "#e6e9ed"},
        },
    )
    json_text: str = fig.to_json()
    return json_text

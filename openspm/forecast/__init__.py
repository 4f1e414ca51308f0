"""Commission expense forecast and month-end accrual (docs/modelling.md).

    result = forecast_workspace(workspace, ForecastRequest(through="2026-12"))
    print(result.text())   # tables in the `forecast` schema; finance is never written

``forecast_workspace`` runs on any warehouse (a server's drafts are copied to a scratch DuckDB
file); ``run_forecast`` computes on a DuckDB connection.
"""

from openspm.forecast.run import (
    DEFAULT_SEED,
    DEFAULT_SIMULATIONS,
    ForecastError,
    ForecastRequest,
    ForecastResult,
    forecast_workspace,
    latest_forecast,
    outlook_section,
    run_forecast,
)

__all__ = [
    "DEFAULT_SEED",
    "DEFAULT_SIMULATIONS",
    "ForecastError",
    "ForecastRequest",
    "ForecastResult",
    "forecast_workspace",
    "latest_forecast",
    "outlook_section",
    "run_forecast",
]

"""Commission expense forecast and month-end accrual (docs/modelling.md).

    with duckdb.connect(warehouse) as connection:
        result = run_forecast(workspace, connection, ForecastRequest(through="2026-12"))
    print(result.text())   # tables in the `forecast` schema; finance is never written
"""

from openspm.forecast.run import (
    DEFAULT_SEED,
    DEFAULT_SIMULATIONS,
    ForecastError,
    ForecastRequest,
    ForecastResult,
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
    "latest_forecast",
    "outlook_section",
    "run_forecast",
]

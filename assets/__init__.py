"""Dagster assets of OpenSPM: landing, comp tables, dbt models, checks and publication."""

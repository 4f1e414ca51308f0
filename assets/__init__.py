"""Dagster assets of OpenSPM: landing ingestion and the dbt models."""

"""Dagster definitions, jobs, schedules and sensors of OpenSPM."""

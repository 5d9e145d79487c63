"""Disaster recovery tooling (DR-05, DR-06): status, DR stack generation, drills, preflight."""

"""Delivery: what CI runs for a stack (pull-request checks, deployments, drift), docs/delivery.md."""

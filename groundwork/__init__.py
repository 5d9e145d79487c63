"""Groundwork: the operator tooling and pure modules behind the Pulumi program."""

__version__ = "0.1.0"

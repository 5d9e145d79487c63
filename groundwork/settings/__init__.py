"""Typed stack settings: the one model every stack file is validated against."""

from groundwork.settings.errors import Problem, SettingsError
from groundwork.settings.loader import CONFIG_KEYS, from_pulumi, load_settings
from groundwork.settings.model import StackSettings

__all__ = ["CONFIG_KEYS", "Problem", "SettingsError", "StackSettings", "from_pulumi", "load_settings"]

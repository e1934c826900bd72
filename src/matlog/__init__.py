"""matlog: a session timer and journal for acupressure-mat users."""

__version__ = "0.1.0"

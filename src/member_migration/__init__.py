"""member_migration: three legacy member systems into one canonical member mart, nothing lost."""

__version__ = "0.1.0"

"""Customers' personal data across areas: export (everything held about a person) and erasure."""

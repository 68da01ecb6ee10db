"""Payments: the gateway interface, its providers and the pure rules of a payment's money.

Everything here is plain dataclasses in and out; storage and transactions belong to the handlers."""

"""Shipping: carriers and rate tables, rate shopping, delivery dates, labels, tracking numbers
and tracking events. The modules here are pure logic (no database, no web); `adapters/` holds
the carrier integrations behind one interface."""

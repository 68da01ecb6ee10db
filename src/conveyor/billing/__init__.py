"""Billing: an order's financial view, tax, invoice numbering, documents and accounting exports."""

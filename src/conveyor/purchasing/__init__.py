"""Purchasing: suppliers, purchase orders, receiving and replenishment.

`replenishment` is pure logic (dataclasses in and out): policies per SKU×location, suggested order
quantities honouring pack sizes and minimum order quantities, suggested POs per supplier, and
low-stock / overstock alerts.
"""

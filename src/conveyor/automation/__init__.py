"""Automation: rules as data (conditions -> actions) evaluated at order lifecycle points, and
the order risk score they can use. Pure logic: no database, no web."""

"""`conveyor audit`: prove that the stock levels equal the ledger and that every invariant holds.

Each check is one aggregate query, so the audit stays fast on large ledgers. The audit is the one
read-side module that looks across areas' tables at once (stock, orders, allocations, SKUs): its
job is to prove the areas agree, so it must not trust any one area's view of the others."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text

from conveyor.shared.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class Violation:
    check: str
    detail: str


# How many parts one unit of the line's SKU has (1 for a plain SKU), for a row aliased `s`.
_PARTS = "(CASE WHEN s.is_kit THEN (SELECT COUNT(*) FROM kit_components k WHERE k.kit_sku_id = s.id) ELSE 1 END)"

# What a pair holds in hot-SKU mode besides its level row (inventory/hot.py), to add to it.
_BUCKETS = """LEFT JOIN (SELECT sku_id, location_id, SUM(on_hand) oh, SUM(allocated) al FROM stock_level_buckets
                   GROUP BY sku_id, location_id) b ON b.sku_id = l.sku_id AND b.location_id = l.location_id"""
# Units held by fulfilment orders that have not left yet (fulfillment/states.py `holds_units`).
_HELD = """(SELECT fl.order_line_id, fl.sku_id, fo.location_id, SUM(fl.quantity) q
           FROM fulfilment_order_lines fl JOIN fulfilment_orders fo ON fo.id = fl.fulfilment_order_id
           WHERE fo.status IN ('pending', 'released', 'picking', 'packed')
              OR (fo.status = 'exception' AND fo.shipment_id IS NULL)
           GROUP BY fl.order_line_id, fl.sku_id, fo.location_id)"""

CHECKS: dict[str, str] = {
    "levels_equal_ledger": """
        SELECT l.sku_id, l.location_id FROM stock_levels l
        LEFT JOIN (SELECT sku_id, location_id, SUM(d_on_hand) oh, SUM(d_allocated) al, SUM(d_reserved) re,
                          SUM(d_incoming) inc, SUM(d_quarantined) qu
                   FROM stock_ledger GROUP BY sku_id, location_id) g
          ON g.sku_id = l.sku_id AND g.location_id = l.location_id
        """ + _BUCKETS + """
        WHERE l.on_hand + COALESCE(b.oh, 0) <> COALESCE(g.oh, 0) OR l.allocated + COALESCE(b.al, 0) <> COALESCE(g.al, 0)
           OR l.reserved <> COALESCE(g.re, 0) OR l.incoming <> COALESCE(g.inc, 0)
           OR l.quarantined <> COALESCE(g.qu, 0)""",
    "buckets_without_level": """
        SELECT b.sku_id, b.location_id FROM stock_level_buckets b
        LEFT JOIN stock_levels l ON l.sku_id = b.sku_id AND l.location_id = b.location_id
        WHERE l.id IS NULL""",
    "ledger_without_level": """
        SELECT g.sku_id, g.location_id FROM (SELECT DISTINCT sku_id, location_id FROM stock_ledger) g
        LEFT JOIN stock_levels l ON l.sku_id = g.sku_id AND l.location_id = g.location_id
        WHERE l.id IS NULL""",
    "nothing_negative": """
        SELECT sku_id, location_id FROM stock_levels
        WHERE on_hand < 0 OR allocated < 0 OR reserved < 0 OR incoming < 0 OR safety_stock < 0
           OR quarantined < 0""",
    "committed_within_on_hand": """
        SELECT sku_id, location_id FROM stock_levels WHERE allocated + reserved > on_hand""",
    "order_allocations_equal_ledger": """
        SELECT l.sku_id, l.location_id FROM stock_levels l
        LEFT JOIN (SELECT sku_id, location_id, SUM(quantity) q FROM allocations
                   GROUP BY sku_id, location_id) a ON a.sku_id = l.sku_id AND a.location_id = l.location_id
        """ + _BUCKETS + """
        WHERE l.allocated + COALESCE(b.al, 0) <> COALESCE(a.q, 0)
        UNION ALL
        SELECT a.sku_id, a.location_id FROM (SELECT sku_id, location_id, SUM(quantity) q FROM allocations
                                             GROUP BY sku_id, location_id) a
        LEFT JOIN stock_levels l ON a.sku_id = l.sku_id AND a.location_id = l.location_id
        WHERE l.id IS NULL AND a.q <> 0""",
    "reservations_equal_reserved": """
        SELECT l.sku_id, l.location_id FROM stock_levels l
        LEFT JOIN (SELECT sku_id, location_id, SUM(quantity) q FROM reservations WHERE status = 'active'
                   GROUP BY sku_id, location_id) r ON r.sku_id = l.sku_id AND r.location_id = l.location_id
        WHERE l.reserved <> COALESCE(r.q, 0)""",
    "line_buckets_add_up": """
        SELECT o.id, ol.line_no FROM order_lines ol JOIN orders o ON o.id = ol.order_id
        WHERE ol.allocated + ol.backordered + ol.shipped + ol.cancelled > ol.quantity
           OR ol.delivered > ol.shipped OR ol.returned > ol.shipped
           OR (ol.allocated + ol.backordered + ol.shipped + ol.cancelled < ol.quantity
               AND NOT (o.status = 'pending' OR (o.status = 'on_hold' AND o.held_from = 'pending')))""",
    # A line's allocated and shipped buckets are what its allocation rows say (orders/allocations.py):
    # shipped = min over parts of shipped // per_unit; allocated = min of (open + shipped) // per_unit − shipped.
    "line_buckets_equal_allocations": """
        SELECT ol.order_id, ol.line_no FROM order_lines ol
        JOIN skus s ON s.id = ol.sku_id
        LEFT JOIN (SELECT line_id, COUNT(*) parts, MIN((q + sh) / pu) held, MIN(sh / pu) shp
                   FROM (SELECT line_id, sku_id, SUM(quantity) q, SUM(shipped) sh, MAX(per_unit) pu
                         FROM allocations GROUP BY line_id, sku_id) per_part
                   GROUP BY line_id) a ON a.line_id = ol.id
        WHERE ol.allocated <> CASE WHEN COALESCE(a.parts, 0) < """ + _PARTS + """ THEN 0 ELSE a.held - a.shp END
           OR ol.shipped <> CASE WHEN COALESCE(a.parts, 0) < """ + _PARTS + """ THEN 0 ELSE a.shp END""",
    # A line that may not split holds whole units at each location: every part the same number of units.
    "allocations_whole_per_location": """
        SELECT a.line_id, a.location_id FROM allocations a
        JOIN order_lines ol ON ol.id = a.line_id JOIN skus s ON s.id = ol.sku_id
        WHERE NOT (s.is_kit AND s.kit_allows_split)
        GROUP BY a.line_id, a.location_id, s.id, s.is_kit
        HAVING MIN(a.quantity / a.per_unit) <> MAX(a.quantity / a.per_unit)
            OR SUM(a.quantity % a.per_unit) <> 0
            OR (MAX(a.quantity) > 0 AND COUNT(DISTINCT a.sku_id) < """ + _PARTS + """)""",
    # Fulfilment orders hold exactly the open allocation rows, per line, part and location
    # (fulfillment/reconcile.py): the warehouse's work list never drifts from the order.
    "fulfilment_orders_equal_allocations": """
        SELECT a.line_id, a.sku_id, a.location_id FROM
          (SELECT line_id, sku_id, location_id, SUM(quantity) q FROM allocations
           GROUP BY line_id, sku_id, location_id) a
        LEFT JOIN """ + _HELD + """ f
          ON f.order_line_id = a.line_id AND f.sku_id = a.sku_id AND f.location_id = a.location_id
        WHERE a.q <> COALESCE(f.q, 0)
        UNION ALL
        SELECT f.order_line_id, f.sku_id, f.location_id FROM """ + _HELD + """ f
        LEFT JOIN allocations a ON a.line_id = f.order_line_id AND a.sku_id = f.sku_id
          AND a.location_id = f.location_id
        WHERE a.id IS NULL AND f.q <> 0""",
    # Graded returns put exactly their graded units into stock: resellable ones on the shelf,
    # damaged and defective ones in quarantine (returns/receiving.py), each a ledger entry naming it.
    "returns_equal_ledger": """
        SELECT r.id FROM returns r
        JOIN (SELECT return_id, SUM(resellable) shelf, SUM(damaged + defective) held FROM return_lines
              GROUP BY return_id) g ON g.return_id = r.id
        LEFT JOIN (SELECT reference_id, SUM(CASE WHEN reason = 'return' THEN d_on_hand ELSE 0 END) shelf,
                          SUM(CASE WHEN reason = 'return_quarantine' THEN d_quarantined ELSE 0 END) held
                   FROM stock_ledger WHERE reference_type = 'return' GROUP BY reference_id) l
          ON l.reference_id = r.id
        WHERE COALESCE(l.shelf, 0) <> g.shelf OR COALESCE(l.held, 0) <> g.held""",
}


def run_audit(uow: UnitOfWork) -> list[Violation]:
    violations = []
    for name, sql in CHECKS.items():
        for row in uow.session.execute(text(sql)):
            violations.append(Violation(name, " ".join(str(v) for v in row)))
    return violations

"""Fulfilment: pick lists in walking order, scan-to-verify packing, box suggestion and the
warehouse documents (pick list, packing slip, manifest). Pure logic; the lead wires it to the
fulfilment-order tables."""

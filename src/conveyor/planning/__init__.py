"""Planning: demand forecasts, safety stock and reorder points (pure logic: numpy in, dataclasses out).

Entry points: `selection.forecast_demand` (choose a method per series by backtest and forecast),
`safety.reorder_levels` / `safety.project_stock` (safety stock, reorder point, stock-out date).
"""

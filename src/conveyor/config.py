"""One validated settings object, read from CONVEYOR_* environment variables."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET_KEY = "conveyor-dev-secret-key-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CONVEYOR_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///var/conveyor.db",
        description="SQLAlchemy URL. sqlite:///path (embedded default) or postgresql://user@host/db.",
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    # json: one JSON object per line (production); console: readable lines (development).
    log_format: Literal["json", "console"] = "json"
    # What placement does when no location can cover a line: refuse the order (409) or accept
    # it and keep the short quantity as backordered. A channel may override it.
    backorder_policy: Literal["reject", "backorder"] = "reject"
    max_body_bytes: int = Field(default=1_000_000, ge=1024)
    max_order_lines: int = Field(default=500, ge=1)
    db_pool_size: int = Field(default=20, ge=1, le=200)
    # Orders one API worker places at once (POST /orders); the others wait their turn, first come
    # first served. Placing is mostly Python under one GIL: more threads share the CPU no faster
    # and stretch every order's latency (docs/decisions.md 36). Unset: 2 on PostgreSQL, 1 on
    # SQLite, whose writers take turns: a second thread deciding stretches the turn (decisions 40).
    placement_threads: int | None = Field(default=None, ge=1, le=64)
    # Orders that wait for a placing thread leave together, up to this many in one transaction
    # (orders.handlers.place_together, decisions 41); 1: every order in a transaction of its own.
    placement_batch: int = Field(default=8, ge=1, le=100)
    # How long a request waits for the database before answering 503 with Retry-After.
    db_pool_timeout_seconds: float = Field(default=5.0, gt=0, le=120)
    db_connect_timeout_seconds: int = Field(default=3, ge=1, le=60)
    db_statement_timeout_ms: int = Field(default=30_000, ge=100, le=3_600_000)
    api_key_cache_seconds: float = Field(default=5.0, ge=0)
    # --- operations (docs/operations.md) ---
    # Prometheus multiprocess directory shared by `serve --workers N` and the workers on this host
    # (emptied by `conveyor serve` at start). Empty: a private temporary one when serving with
    # several workers; a single process needs none.
    metrics_dir: str = ""
    # Requests per second each API key may make, per API process, and the burst it may save up
    # (a token bucket). Over it: 429 `rate_limited` with Retry-After. 0 = off (the default, so
    # imports and load tests with one key are not throttled by surprise); deploy/ turns it on.
    rate_limit_per_second: float = Field(default=0.0, ge=0, le=100_000)
    rate_limit_burst: int = Field(default=100, ge=1, le=1_000_000)
    # How long a process trusts what it cached (channels, locations, routing configuration, SKUs):
    # a change made in another process is seen within this time. See shared/cache.py.
    cache_seconds: float = Field(default=10.0, ge=0)
    # How often the worker evens out hot-SKU buckets (inventory/hot.py); 0 = never.
    hot_sku_refill_seconds: int = Field(default=5, ge=0, le=3600)
    # Tests only: PostgreSQL commits without waiting for the disk flush (never in production).
    db_durable_commits: bool = True
    # Encrypts channel credentials at rest. The default is for development only: anyone with the
    # source can decrypt with it, so `channels.secrets` warns once when it is in use.
    secret_key: str = Field(default=DEV_SECRET_KEY, min_length=16)
    # --- buy and plan (docs/planning.md) ---
    # Good units a PO line may be over-received by, in percent of the ordered quantity (rounded down).
    receipt_tolerance_percent: float = Field(default=5.0, ge=0, le=100)
    # Close a PO as soon as it is fully received; false keeps it `received` until someone closes it.
    po_auto_close: bool = True
    # The worker reviews replenishment and creates (and sends) suggested POs every N minutes; 0 = off.
    auto_replenish_minutes: int = Field(default=0, ge=0, le=10_080)
    auto_replenish_send: bool = False
    # The worker re-forecasts demand every N hours; 0 = off (run `conveyor plan forecast` instead).
    forecast_every_hours: int = Field(default=0, ge=0, le=720)
    # Reports convert sales to this currency with the bundled ECB reference rates.
    report_currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    # Who purchase-order e-mails come from (the e-mail itself leaves through the outbox).
    purchasing_email: str = "purchasing@example.com"
    # Shipping (docs/shipping.md): who rates and sells labels. `builtin` prices from the stored
    # rate tables and renders labels locally (offline); `easypost` buys real labels through EasyPost.
    shipping_provider: Literal["builtin", "easypost"] = "builtin"
    easypost_api_key: str = ""
    # Checks `X-Hmac-Signature` on EasyPost tracking webhooks (the webhook's secret in EasyPost).
    easypost_webhook_secret: str = ""

    # --- automation: the worker, webhooks, e-mail, broker, schedules (docs/operations.md) ---------
    # SMTP relay for customer e-mails and staff alerts; an empty host turns e-mail off.
    smtp_host: str = ""
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_security: Literal["none", "starttls", "tls"] = "starttls"
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_sender: str = "Conveyor <no-reply@localhost>"
    smtp_timeout_seconds: float = Field(default=30.0, gt=0, le=300)
    smtp_ca_file: str = ""
    # What customers see in e-mails: the shop's name, address, support contact, and the time zone
    # dates are shown in (also the zone rules mean by "time of day").
    shop_name: str = "Conveyor shop"
    shop_url: str = "http://localhost:8000"
    shop_support_email: str = "support@localhost"
    shop_time_zone: str = "UTC"
    # A tracking page for every carrier, overriding the built-in ones: "{carrier}" and
    # "{tracking_number}" are filled in (e.g. "https://track.example/{tracking_number}").
    tracking_url_template: str = ""
    # Staff alerts (disabled webhooks, dead letters, late orders, low stock): by e-mail and/or a
    # JSON POST to a URL (Slack/Teams incoming webhooks accept it). Empty: not sent.
    staff_alert_email: str = ""
    staff_alert_webhook_url: str = ""
    # Outbound webhooks: timeouts of each POST and how many attempts before dead-lettering.
    webhook_connect_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    webhook_total_timeout_seconds: float = Field(default=15.0, gt=0, le=120)
    webhook_max_attempts: int = Field(default=10, ge=1, le=30)
    # Channel sync-back (JSON feeds, platform pushes) and 3PL requests: connect timeout of each
    # call and a total deadline for one delivery, its calls and retries included.
    outbound_connect_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    outbound_total_timeout_seconds: float = Field(default=30.0, gt=0, le=300)
    # Streaming every outbox event to NATS JetStream (nats://) or RabbitMQ (amqp://); empty: off.
    broker_url: str = ""
    broker_stream: str = "CONVEYOR"
    broker_subject_prefix: str = "conveyor"
    # Scheduled jobs (0 turns one off): cancel orders held for payment after this long; flag
    # orders not shipped this long after placement (staff alert + "delayed" e-mail); nightly
    # jobs start at this UTC time.
    unpaid_cancel_hours: float = Field(default=72.0, ge=0)
    sla_ship_hours: float = Field(default=48.0, ge=0)
    nightly_at: str = Field(default="02:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    # Risk score: the window for "many orders to one address".
    risk_window_hours: float = Field(default=24.0, gt=0)
    # Money (docs/money.md): who issues invoices and credit notes, their number series, and Stripe.
    # The address is one string with lines separated by ";". The year of a number is the issue
    # date's year in `seller_timezone`.
    seller_legal_entity: str = Field(default="default", min_length=1, max_length=50)
    seller_name: str = "Conveyor Demo Store"
    seller_address: str = ""
    seller_tax_id: str = ""
    seller_timezone: str = "UTC"
    invoice_number_pattern: str = "INV-{year}-{seq:06d}"
    credit_note_number_pattern: str = "CN-{year}-{seq:06d}"
    stripe_api_key: str = ""

    # --- the dashboard (docs/operations.md "Dashboard users and sessions") ---------------------------
    # A login lasts this long (then the user logs in again); logging out or deactivating ends it sooner.
    web_session_hours: float = Field(default=12.0, gt=0, le=24 * 30)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()

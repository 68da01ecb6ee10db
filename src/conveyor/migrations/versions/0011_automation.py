"""automation: order language and fulfilment preferences, timed holds, webhook subscriptions and
their delivery log, sent e-mails, worker leases, broker publishing state, automation rules

Revision ID: 0011
Revises: 0006
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011"
down_revision = "0006"
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("locale", sa.String(35), nullable=False, server_default=""))
        batch.add_column(sa.Column("priority", sa.String(10), nullable=False, server_default="normal"))
        batch.add_column(sa.Column("preferred_carrier", sa.String(50), nullable=False, server_default=""))
        batch.add_column(sa.Column("preferred_service", sa.String(50), nullable=False, server_default=""))
        batch.add_column(sa.Column("hold_until", UTC_DATETIME, nullable=True))
        batch.add_column(sa.Column("ship_to_key", sa.String(64), nullable=True))
        batch.create_index("ix_orders_ship_to_created", ["ship_to_key", "created_at"])
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("published_at", UTC_DATETIME, nullable=True))
        batch.create_index("ix_outbox_published_id", ["published_at", "id"])
    # Messages written before streaming existed are not streamed (the stream starts now).
    op.execute(sa.text("UPDATE outbox SET published_at = created_at"))

    op.create_table(
        "webhook_subscriptions",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("description", sa.String(200), nullable=False),
        sa.Column("topics", JSON_DOC, nullable=False),
        sa.Column("secrets_sealed", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("failing_since", UTC_DATETIME, nullable=True),
        sa.Column("disabled_reason", sa.Text(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
    )
    op.create_table(
        "webhook_attempts",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("subscription_id", sa.String(40), nullable=False),
        sa.Column("event_id", sa.String(40), nullable=False),
        sa.Column("topic", sa.String(100), nullable=False),
        sa.Column("delivery_id", sa.String(40), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("started_at", UTC_DATETIME, nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("response_excerpt", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.ForeignKeyConstraint(["subscription_id"], ["webhook_subscriptions.id"], ondelete="CASCADE",
                                name="fk_webhook_attempts_subscription_id_webhook_subscriptions"),
    )
    op.create_index("ix_webhook_attempts_subscription", "webhook_attempts", ["subscription_id", "id"])
    op.create_index("ix_webhook_attempts_event", "webhook_attempts", ["event_id"])
    op.create_table(
        "sent_emails",
        sa.Column("message_id", sa.String(255), primary_key=True),
        sa.Column("outbox_id", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("recipient", sa.String(254), nullable=False),
        sa.Column("order_id", sa.String(40), nullable=True),
        sa.Column("sent_at", UTC_DATETIME, nullable=False),
    )
    op.create_table(
        "worker_leases",
        sa.Column("name", sa.String(60), primary_key=True),
        sa.Column("holder", sa.String(60), nullable=True),
        sa.Column("lease_until", UTC_DATETIME, nullable=True),
        sa.Column("next_due_at", UTC_DATETIME, nullable=True),
        sa.Column("last_run_at", UTC_DATETIME, nullable=True),
        sa.Column("last_result", sa.Text(), nullable=False),
    )
    op.create_table(
        "automation_rules",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("document", JSON_DOC, nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_by", sa.String(100), nullable=False),
        sa.UniqueConstraint("name", name="uq_automation_rules_name"),
    )
    op.create_index("ix_automation_rules_position", "automation_rules", ["position"])


def downgrade() -> None:
    op.drop_table("automation_rules")
    op.drop_table("worker_leases")
    op.drop_table("sent_emails")
    op.drop_table("webhook_attempts")
    op.drop_table("webhook_subscriptions")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_index("ix_outbox_published_id")
        batch.drop_column("published_at")
    with op.batch_alter_table("orders") as batch:
        batch.drop_index("ix_orders_ship_to_created")
        for column in ("ship_to_key", "hold_until", "preferred_service", "preferred_carrier", "priority", "locale"):
            batch.drop_column(column)

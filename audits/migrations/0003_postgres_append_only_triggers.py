"""On PostgreSQL, the database itself refuses to change or remove audit-trail entries.

The log table refuses UPDATE and DELETE; the chain head refuses DELETE and any
update that does not move it forward by exactly one entry. TRUNCATE is left alone
(Django's test runner flushes tables with it). Someone with the rights to drop
these triggers can still rewrite history; ``verify_audit_trail`` is the check
for that. SQLite has no such guard; the application refuses instead.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION audits_logentry_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit-trail entries are append-only: % refused', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END
$$;

CREATE TRIGGER audits_logentry_append_only
    BEFORE UPDATE OR DELETE ON audits_logentry
    FOR EACH ROW EXECUTE FUNCTION audits_logentry_refuse_change();

CREATE OR REPLACE FUNCTION audits_chainhead_forward_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'the audit chain head cannot be deleted'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NEW.sequence <> OLD.sequence + 1 THEN
        RAISE EXCEPTION 'the audit chain head moves forward one entry at a time (% -> % refused)',
            OLD.sequence, NEW.sequence
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER audits_chainhead_forward_only
    BEFORE UPDATE OR DELETE ON audits_chainhead
    FOR EACH ROW EXECUTE FUNCTION audits_chainhead_forward_only();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS audits_chainhead_forward_only ON audits_chainhead;
DROP FUNCTION IF EXISTS audits_chainhead_forward_only();
DROP TRIGGER IF EXISTS audits_logentry_append_only ON audits_logentry;
DROP FUNCTION IF EXISTS audits_logentry_refuse_change();
"""


def add_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ("audits", "0002_append_only_chain"),
    ]

    operations = [
        migrations.RunPython(add_triggers, drop_triggers, elidable=False),
    ]

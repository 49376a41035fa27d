"""On PostgreSQL, let the chain head jump forward over a batch of entries already written.

``audits.chain.append_entries`` writes a batch of chained entries with one INSERT and
then moves the head once. The head trigger of migration 0003 allowed only single steps;
it now also accepts a jump from ``OLD.sequence`` to ``NEW.sequence > OLD.sequence + 1``
when, in the table itself:

* the entry numbered ``NEW.sequence`` exists and its hash is ``NEW.last_hash``;
* every number from ``OLD.sequence + 1`` to ``NEW.sequence`` is taken (no gap);
* the first of them links back to the old head (``prev_hash = OLD.last_hash``).

Moving the head backwards, sideways, or onto a hash that is not the stored entry's
is still refused, as is deleting it. The single step keeps its 0003 rule.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION audits_chainhead_forward_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'the audit chain head cannot be deleted'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NEW.sequence = OLD.sequence + 1 THEN
        RETURN NEW;
    END IF;
    IF NEW.sequence <= OLD.sequence THEN
        RAISE EXCEPTION 'the audit chain head moves forward one entry at a time or over a written batch (% -> % refused)',
            OLD.sequence, NEW.sequence
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM audits_logentry WHERE sequence = NEW.sequence AND entry_hash = NEW.last_hash
    ) THEN
        RAISE EXCEPTION 'the audit chain head may only jump to a stored entry with that hash (% -> % refused)',
            OLD.sequence, NEW.sequence
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF (SELECT count(*) FROM audits_logentry
        WHERE sequence > OLD.sequence AND sequence <= NEW.sequence) <> NEW.sequence - OLD.sequence THEN
        RAISE EXCEPTION 'the audit chain head cannot jump over missing entries (% -> % refused)',
            OLD.sequence, NEW.sequence
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM audits_logentry WHERE sequence = OLD.sequence + 1 AND prev_hash = OLD.last_hash
    ) THEN
        RAISE EXCEPTION 'the entries the audit chain head jumps over do not follow it (% -> % refused)',
            OLD.sequence, NEW.sequence
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;
"""

PREVIOUS_FUNCTION = """
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
"""


def allow_batch_jumps(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION, params=None)


def single_steps_only(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PREVIOUS_FUNCTION, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ("audits", "0003_postgres_append_only_triggers"),
    ]

    operations = [
        migrations.RunPython(allow_batch_jumps, single_steps_only, elidable=False),
    ]

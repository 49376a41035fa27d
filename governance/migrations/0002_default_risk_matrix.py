"""A 5x5 risk matrix with plain labels and four colour bands, editable later."""

from django.db import migrations

LIKELIHOOD = ["Rare", "Unlikely", "Possible", "Likely", "Almost certain"]
IMPACT = ["Negligible", "Minor", "Moderate", "Major", "Severe"]
BANDS = [
    {"max_score": 4, "label": "Low", "colour": "#2e7d32"},
    {"max_score": 9, "label": "Medium", "colour": "#f9a825"},
    {"max_score": 16, "label": "High", "colour": "#ef6c00"},
    {"max_score": 25, "label": "Critical", "colour": "#c62828"},
]


def create_matrix(apps, schema_editor):
    RiskMatrix = apps.get_model("governance", "RiskMatrix")
    if not RiskMatrix.objects.exists():
        RiskMatrix.objects.create(pk=1, size=5, likelihood_labels=LIKELIHOOD, impact_labels=IMPACT, bands=BANDS)


class Migration(migrations.Migration):
    dependencies = [("governance", "0001_initial")]
    operations = [migrations.RunPython(create_matrix, migrations.RunPython.noop)]

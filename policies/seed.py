"""Policies demo data: patch checks (advisories and one server's inventories), after the governance assets;
then the starter policies, two of them published for Employees to acknowledge."""

from core.seeding import register_demo_seeder
from policies.seed_documents import seed_demo_policies
from policies.seed_patching import seed_demo_patch_checks

register_demo_seeder(order=60)(seed_demo_patch_checks)
register_demo_seeder(order=65)(seed_demo_policies)

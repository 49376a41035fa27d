"""Governance demo and scale data, in order: frameworks, then controls, then risks."""

from core.seeding import register_demo_seeder, register_scale_seeder
from governance.seed_controls import seed_demo_controls, seed_scale_controls
from governance.seed_frameworks import seed_demo_frameworks, seed_scale_frameworks
from governance.seed_risks import seed_demo_risks
from governance.seed_risks_scale import seed_scale_risks

register_demo_seeder(order=20)(seed_demo_frameworks)
register_scale_seeder(order=20)(seed_scale_frameworks)
register_demo_seeder(order=30)(seed_demo_controls)
register_scale_seeder(order=30)(seed_scale_controls)
register_demo_seeder(order=40)(seed_demo_risks)
register_scale_seeder(order=40)(seed_scale_risks)

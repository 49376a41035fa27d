"""Pages of access reviews under ``/reviews/``."""

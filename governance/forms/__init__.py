"""Input validation of the governance pages, one module per area; service errors map to form errors."""

"""Pure helpers of policy documents (no database): Markdown rendering, diffs, dates, the library format."""

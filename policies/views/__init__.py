"""Pages of the policies app: ``patching`` for patch checks."""

"""Write side of access reviews: imports, rules, campaigns. Every function takes the acting user."""

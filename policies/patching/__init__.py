"""Patch checks: match software inventories against offline vulnerability advisories.

A pure engine (no Django models, no database, no network):

- ``versions``: version ordering per ecosystem (PEP 440, dpkg, SemVer 2.0);
- ``ecosystems``: ecosystem and package-name normalisation (``Debian:12``, PEP 503 names);
- ``severity``: CVSS 3.x base scores and severity levels;
- ``advisories``: the advisory dataclasses (``Advisory``, ``Affected``, ``Range``, ...);
- ``osv``: OSV 1.x records parsed into them (``parse_osv``), OSV range evaluation (``is_affected``);
- ``osv_reader``: streaming reader for a folder of ``*.json`` files or an ecosystem ``all.zip``;
- ``debian_tracker``: the Debian security tracker JSON as the same advisories;
- ``inventories``: dpkg, pip, npm lockfile and CycloneDX parsers into ``InstalledPackage`` rows
  (``purl`` parses the package URLs);
- ``matching``: indexed matching (``AdvisoryIndex``) and findings merged per vulnerability;
- ``aliases``: alias groups (union-find) and the canonical id rule;
- ``sla``: remediation due dates.
"""

"""The alerts process, `dxspots alerts` (issue 16): every new spot is matched against the
sysop's rules (`dxspots.alertrules`), a match is claimed against its rule's cool-down in the
database (`dxspots.db.alertclaims`: once per window, however many processes), and sent to the
rule's channels through apprise (`alerts.channels`) on a worker per channel that retries with
back-off (`alerts.delivery`), so a slow or failing channel holds up no other rule.

Spots come as the live stream's do: a LISTEN on the writer's channel, then the rows after the
last id seen. It starts at the newest spot, and a spot older than `MAX_AGE` when read is
history (an import, a back-fill): it never alerts.
"""

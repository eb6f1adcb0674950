"""Where alerts go: any notification service apprise knows, by URL (`mailto://`, `ntfy://`,
`tgram://`, `pover://`, `json://`...), and `spothook://` / `spothooks://` for a webhook that
receives the spot itself as JSON (apprise's own `json://` wraps the text in its envelope).
A channel's URL is checked when the rules are read; what it sends is plain text, never
Markdown or HTML (a cluster comment is a stranger's text)."""

from __future__ import annotations

import urllib.request
from typing import Any

import apprise
from apprise.decorators import notify

HOOK_TIMEOUT_S = 10.0
"""The longest a webhook may take to answer before the send counts as failed (and is
retried); apprise's services have their own timeouts."""


class ChannelError(ValueError):
    """A channel URL apprise does not know."""


def _post(meta: dict[str, Any], body: str, scheme: str) -> bool:
    host, port = meta.get("host") or "", meta.get("port")
    path = meta.get("fullpath") or "/"
    url = f"{scheme}://{host}{f':{port}' if port else ''}{path}"
    request = urllib.request.Request(  # the sysop's own URL; http or https only
        url, data=body.encode("utf-8"), method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "dxspots-alerts"},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=HOOK_TIMEOUT_S) as answer:
            return 200 <= int(answer.status) < 300
    except OSError:
        return False


@notify(on="spothook", name="dxspots spot webhook (http)")  # type: ignore[untyped-decorator, no-untyped-call]
def _spothook(body: str, title: str, notify_type: str, meta: dict[str, Any], *_: Any,
              **__: Any) -> bool:  # fmt: skip
    return _post(meta, body, "http")


@notify(on="spothooks", name="dxspots spot webhook (https)")  # type: ignore[untyped-decorator, no-untyped-call]
def _spothooks(body: str, title: str, notify_type: str, meta: dict[str, Any], *_: Any,
               **__: Any) -> bool:  # fmt: skip
    return _post(meta, body, "https")


class Channel:
    """One channel: its apprise object, the URL as it may be shown (no secrets), and whether
    it takes the spot as JSON."""

    def __init__(self, url: str, spacing_s: float | None = None, number: int = 1) -> None:
        self.url = url
        self.notifier = apprise.Apprise()
        if not self.notifier.add(url):
            raise ChannelError("not a channel apprise knows (see docs/alerts.md)")
        if spacing_s is not None:  # else apprise's own for the service (5.5 s for most)
            for plugin in self.notifier:
                plugin.request_rate_per_sec = spacing_s
        self.label = str(self.notifier[0].service_name)
        """The service's name ("ntfy", "E-Mail"): all the dashboard is told of a channel."""
        scheme = url.split("://", 1)[0].lower()
        self.wants_json = scheme in ("spothook", "spothooks")
        self.shown = f"{self.label} (channel {number} of the rules file)"
        """How the logs name it: its service and place, never its URL (a password, a token
        in a webhook's path or a private ntfy topic may be in that)."""
        self.body_limit = max(0, min(int(getattr(plugin, "body_maxlen", 0) or 32768)
                                     for plugin in self.notifier) - 160)  # fmt: skip
        """How long a digest's body may be: the service's own limit (Pushover 1,024, Discord
        2,000...) less room for the title, which apprise counts in it."""

    def send(self, title: str, text: str, spot_json: str) -> bool:
        """Send one alert; whether the service took it (apprise logs why not)."""
        result = self.notifier.notify(
            body=spot_json if self.wants_json else text, title=title,
            body_format=apprise.NotifyFormat.TEXT,
        )  # fmt: skip
        return bool(result)

"""A webhook receiver run inside the compose test's network (tests/containers/test_compose.py):
each POST's body printed on a line of its own, for `docker logs`. Standard library only."""

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Hook(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        print(body.decode("utf-8", "replace").replace("\n", " "), flush=True)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


ThreadingHTTPServer(("0.0.0.0", 8000), Hook).serve_forever()

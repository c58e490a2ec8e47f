"""A real HTTP branch service on loopback for the Python SDK interop tests.

Every request to /api/busi/<route> is recorded (route, method, query, body); answers are scripted
per route as a list of (status, body), the last one repeating. The default answer is SUCCESS.
"""
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

SUCCESS = (200, '{"dtm_result":"SUCCESS"}')
FAILURE = (409, '{"dtm_result":"FAILURE","message":"Insufficient balance"}')


class BusiServer:
    def __init__(self):
        self.calls = []
        self.answers = {}
        self.counts = {}
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server._handle(self)

            def do_POST(self):
                server._handle(self)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = "http://127.0.0.1:%d/api/busi" % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def _handle(self, req):
        length = int(req.headers.get("Content-Length") or 0)
        body = req.rfile.read(length).decode("utf-8") if length else ""
        parsed = urlparse(req.path)
        route = parsed.path.rsplit("/", 1)[-1]
        query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
        with self.lock:
            self.calls.append({"route": route, "method": req.command, "query": query, "body": body})
            n = self.counts.get(route, 0)
            self.counts[route] = n + 1
            script = self.answers.get(route, [SUCCESS])
            status, text = script[min(n, len(script) - 1)]
        data = text.encode("utf-8")
        req.send_response(status)
        req.send_header("Content-Type", "application/json")
        req.send_header("Content-Length", str(len(data)))
        req.end_headers()
        req.wfile.write(data)

    def url(self, route):
        return "%s/%s" % (self.base, route)

    def on(self, route, *answers):
        with self.lock:
            self.answers[route] = list(answers)

    def calls_of(self, gid):
        with self.lock:
            return [c for c in self.calls if c["query"].get("gid") == gid]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()

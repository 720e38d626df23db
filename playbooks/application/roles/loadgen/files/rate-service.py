"""scaletui's rate service: holds the workload job's target rate (records per second) for its source to poll.

GET /rate answers the number as text; PUT /rate with a number sets it (scaletui does, through the API server's
service proxy); GET /health answers ok. Standard library only, so it runs on any Python image.
"""

import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RATE = [float(os.environ.get("INITIAL_RATE", "0"))]
LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _reply(self, code, text):
        data = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path.split("?")[0] == "/health":
            return self._reply(200, "ok\n")
        if self.path.split("?")[0] != "/rate":
            return self._reply(404, "not found\n")
        with LOCK:
            return self._reply(200, f"{RATE[0]}\n")

    def do_PUT(self):
        if self.path.split("?")[0] != "/rate":
            return self._reply(404, "not found\n")
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode().strip()
        try:
            value = float(body)
        except ValueError:
            return self._reply(400, "expected a number of records per second\n")
        if not 0 <= value < float("inf"):
            return self._reply(400, "expected a rate of 0 or more\n")
        with LOCK:
            RATE[0] = value
        return self._reply(200, f"{value}\n")


def main():
    server = ThreadingHTTPServer((os.environ.get("HOST", "0.0.0.0"), int(os.environ.get("PORT", "8080"))), Handler)
    server.daemon_threads = True
    print(f"rate service on {server.server_address[0]}:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

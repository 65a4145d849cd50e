"""A small AWS Lambda Invoke API server for the trigger tests.

It serves `POST /2015-03-31/functions/{FunctionName}/invocations` as AWS Lambda does: the
body is the event, the answer is what the handler returned, and a handler that raises is
answered with `X-Amz-Function-Error: Unhandled` and `{"errorMessage", "errorType"}`. The
function named by the ARN's last part is looked up in a handler module (by default
`lambda/handlers.py`), where each one is written as a real Lambda handler,
`def name(event, context)`.

Every invocation is recorded: the function, the raw event, whether the request was
SigV4-signed, and what the handler read from the event (`context.record(...)`). The tests
read the records with `GET /_invocations` and clear them with `DELETE /_invocations`;
`GET /_in_flight` answers how many invocations are running (`{"count": N}`).

Usage: lambda_host.py [--port N] [--handlers path/to/handlers.py]
Prints `listening on PORT` once it accepts requests.
"""

import argparse
import importlib.util
import json
import sys
import threading
import traceback
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

PREFIX = "/2015-03-31/functions/"
SUFFIX = "/invocations"

RECORDS = []
IN_FLIGHT = [0]
LOCK = threading.Lock()


class Context:
    """The parts of the Lambda context object the handlers use, plus `record`."""

    def __init__(self, function_name):
        self.function_name = function_name
        self.aws_request_id = str(uuid.uuid4())
        self.memory_limit_in_mb = 128
        self.seen = {}

    def record(self, **fields):
        self.seen.update(fields)

    def get_remaining_time_in_millis(self):
        return 5000


def load_handlers(path):
    spec = importlib.util.spec_from_file_location("trigger_handlers", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Handler(BaseHTTPRequestHandler):
    handlers = None

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass

    def answer(self, status, body, headers=()):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):  # noqa: N802 - http.server's name
        with LOCK:
            if self.path == "/_in_flight":
                return self.answer(200, {"count": IN_FLIGHT[0]})
            if self.path == "/_invocations":
                return self.answer(200, list(RECORDS))
        return self.answer(404, {"message": "not found"})

    def do_DELETE(self):  # noqa: N802
        with LOCK:
            RECORDS.clear()
        return self.answer(200, {})

    def do_POST(self):  # noqa: N802
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        if not (self.path.startswith(PREFIX) and self.path.endswith(SUFFIX)):
            return self.answer(404, {"Type": "User", "message": "unknown path"})
        arn = unquote(self.path[len(PREFIX) : -len(SUFFIX)])
        name = arn.rsplit(":", 1)[-1]
        function = getattr(self.handlers, name, None)
        if function is None:
            return self.answer(
                404,
                {"Type": "User", "message": f"Function not found: {arn}"},
                [("x-amzn-ErrorType", "ResourceNotFoundException")],
            )
        event = json.loads(body)
        context = Context(name)
        record = {
            "function": name,
            "arn": arn,
            "event": json.loads(body),
            "signed": self.headers.get("Authorization", "").startswith("AWS4-HMAC-SHA256 "),
            "authorization": self.headers.get("Authorization", ""),
        }
        with LOCK:
            IN_FLIGHT[0] += 1
        error = None
        try:
            result = function(event, context)
        except Exception as thrown:  # the function threw: Lambda's function error
            error = thrown
        finally:
            with LOCK:
                IN_FLIGHT[0] -= 1
        if error is not None:
            record["seen"] = context.seen
            record["error"] = str(error)
            with LOCK:
                RECORDS.append(record)
            return self.answer(
                200,
                {
                    "errorMessage": str(error),
                    "errorType": type(error).__name__,
                    "stackTrace": traceback.format_tb(error.__traceback__),
                },
                [("X-Amz-Function-Error", "Unhandled")],
            )
        record["seen"] = context.seen
        with LOCK:
            RECORDS.append(record)
        return self.answer(200, result)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument(
        "--handlers", default=str(Path(__file__).with_name("lambda") / "handlers.py")
    )
    args = parser.parse_args()
    Handler.handlers = load_handlers(args.handlers)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print(f"listening on {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    sys.exit(0)


if __name__ == "__main__":
    main()

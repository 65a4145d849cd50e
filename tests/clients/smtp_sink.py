"""A real SMTP server for the test suite: aiosmtpd on 127.0.0.1:<port>, writing every message
it accepts to <dir> as one JSON file (written to a temporary name, then renamed, so a reader
never sees half a message). It prints "listening" once it accepts connections and runs until
its standard input closes (the test that started it ends) or it is killed.

Usage: smtp_sink.py <port> <dir>
"""

import json
import os
import sys
import uuid

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, directory):
        self.directory = directory

    async def handle_DATA(self, server, session, envelope):
        name = uuid.uuid4().hex
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "data": envelope.content.decode("utf-8", errors="replace"),
        }
        partial = os.path.join(self.directory, name + ".part")
        with open(partial, "w", encoding="utf-8") as out:
            json.dump(record, out)
        os.rename(partial, os.path.join(self.directory, name + ".json"))
        return "250 Message accepted for delivery"


def main():
    port, directory = int(sys.argv[1]), sys.argv[2]
    controller = Controller(Sink(directory), hostname="127.0.0.1", port=port)
    controller.start()
    print("listening", flush=True)
    try:
        sys.stdin.read()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()

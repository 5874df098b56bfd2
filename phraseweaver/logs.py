"""Log hygiene: no secret that arrives in a request reaches a log line.

A signed download link's token, and Telegram's initData (the `tma` header, `tgWebAppData`,
its `hash`), would let whoever reads the logs in as the learner. Django's own request logging
names the path only, but the development server writes whole request lines, and a library may
quote a URL: the console handler's filter blanks those values out of every record it writes.
gunicorn's access log is configured apart (gunicorn.conf.py leaves the query string out).
"""

import logging
import re

REDACTED = "[redacted]"
# initData, in a header or a URL: all of it, its own & separators included.
INIT_DATA = re.compile(r"(tgWebAppData=|\btma )[^\s\"']+")
# A signed link's token, and initData's hash wherever initData was cut apart.
PARAMETER = re.compile(r"((?<![\w-])(?:token|hash)=)[^\s\"'&]+")


def redact(text: str) -> str:
    text = INIT_DATA.sub(rf"\1{REDACTED}", text)
    return PARAMETER.sub(rf"\1{REDACTED}", text)


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True
